import * as z from 'zod/mini';
// Engine names of the secret JSON, as AWS's own RDS rotation functions write them: the registry's.
import { ENGINE_NAMES } from '../engines/registry';
import { InvalidSecretValueError } from './errors';
import { Password } from './password';
import { SecretString } from './secret-string';

/** TLS wish of a secret: `true`/`require` encrypts, `verify-full` also checks the certificate. */
export const sslSchema = z.union([z.boolean(), z.enum(['disable', 'require', 'verify-full'])]);
export type SslSetting = z.infer<typeof sslSchema>;

const port = z.coerce.number().check(z.refine(Number.isInteger), z.gte(1), z.lte(65535));
const nonEmpty = z.string().check(z.minLength(1));
const optional = <T extends z.ZodMiniType>(schema: T) => z.optional(schema);

// Fields we do not know are kept as they are: users put their own keys in secrets.
const appSecretSchema = z.object({
  engine: z.enum(ENGINE_NAMES),
  host: nonEmpty,
  port,
  username: nonEmpty,
  password: nonEmpty,
  dbname: optional(nonEmpty),
  masterarn: optional(nonEmpty),
  ssl: optional(sslSchema),
});

// An RDS-managed master secret holds only username and password.
const masterSecretSchema = z.object({
  engine: optional(z.enum(ENGINE_NAMES)),
  host: optional(nonEmpty),
  port: optional(port),
  username: nonEmpty,
  password: nonEmpty,
  dbname: optional(nonEmpty),
  ssl: optional(sslSchema),
});

// A secret tagged for management may hold only a username, or nothing yet.
const partialSecretSchema = z.object({
  engine: optional(z.enum(ENGINE_NAMES)),
  host: optional(nonEmpty),
  port: optional(port),
  username: optional(nonEmpty),
  password: optional(nonEmpty),
  dbname: optional(nonEmpty),
  masterarn: optional(nonEmpty),
  ssl: optional(sslSchema),
});

type Parsed<S extends z.ZodMiniType> = Omit<z.infer<S>, 'password'> & { password: Password };

/** The JSON of an application user's secret; its password never prints. */
export type AppSecretValue = Parsed<typeof appSecretSchema>;
/** The JSON of a master secret: only username and password are certain. */
export type MasterSecretValue = Parsed<typeof masterSecretSchema>;

function parse<S extends z.ZodMiniType>(schema: S, secretId: string, secretString: SecretString): Parsed<S> {
  let json: unknown;
  try {
    json = secretString.json();
  } catch {
    throw new InvalidSecretValueError(secretId, 'it is not JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    // Name the fields only: zod's messages may quote the values.
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    throw new InvalidSecretValueError(secretId, `missing or invalid ${fields.join(', ')}`);
  }
  const value = result.data as Record<string, unknown>;
  const { password, ...rest } = { ...(json as object), ...value } as Record<string, unknown>;
  // Only a partial secret may lack a password; the others' schemas require one.
  return (typeof password === 'string' ? { ...rest, password: new Password(password) } : rest) as Parsed<S>;
}

export function parseAppSecret(secretId: string, secretString: SecretString): AppSecretValue {
  return parse(appSecretSchema, secretId, secretString);
}

export function parseMasterSecret(secretId: string, secretString: SecretString): MasterSecretValue {
  return parse(masterSecretSchema, secretId, secretString);
}

/** Whatever part of the design's JSON a secret holds (no string at all, or an empty one, is `{}`). */
export type PartialSecretValue = Omit<z.infer<typeof partialSecretSchema>, 'password'> & {
  password?: Password;
};

export function parsePartialSecret(
  secretId: string,
  secretString: SecretString | undefined,
): PartialSecretValue {
  if (!secretString || secretString.reveal().trim() === '') return {};
  return parse(partialSecretSchema, secretId, secretString) as PartialSecretValue;
}

/** The secret string to store: the one place a password is put back into JSON. */
export function serializeSecret(value: AppSecretValue): SecretString {
  return new SecretString(JSON.stringify({ ...value, password: value.password.reveal() }));
}
