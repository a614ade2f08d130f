import * as z from 'zod/mini';
import { PRIVILEGES } from '../engines/engine';
import { InvalidInputError } from '../errors';
import { sslSchema } from '../secrets/secret-value';
import { GRANT_PRESETS } from '../users/grants';

// zod/mini: the same validation as zod's classic API, a fraction of its cold start.
// CloudFormation sends every scalar property as a string: "5432", "true".
const stringBool = z.pipe(
  z.enum(['true', 'false']),
  z.transform((v) => v === 'true'),
);
const bool = z.union([z.boolean(), stringBool]);
const int = (min: number, max: number) =>
  z.coerce.number().check(z.refine(Number.isInteger), z.gte(min), z.lte(max));
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
const name = text(1, 128);

const grantsSchema = z.union([
  z.enum(Object.keys(GRANT_PRESETS) as [keyof typeof GRANT_PRESETS]),
  z.array(z.enum(PRIVILEGES)).check(z.minLength(1)),
]);

const rotationSchema = z.strictObject({
  Strategy: z._default(z.enum(['single', 'alternating']), 'single'),
  // A rate() or cron() expression, as Secrets Manager's RotationRules take it.
  Schedule: z.optional(z.string().check(z.regex(/^(rate|cron)\(.+\)$/))),
  AutomaticallyAfterDays: z.optional(int(1, 1000)),
  Enabled: z._default(bool, true),
});

/** The properties of a `Custom::DatabaseUser`, as the design names them. */
export const databaseUserProperties = z.strictObject({
  ServiceToken: z.optional(z.string()),
  MasterSecretArn: text(1, 2048),
  Username: name,
  Database: z.optional(name),
  Grants: z._default(grantsSchema, 'readonly'),
  Schemas: z._default(z.array(name).check(z.minLength(1)), ['public']),
  Engine: z.optional(text(1, 64)),
  Host: z.optional(text(1, 253)),
  Port: z.optional(int(1, 65535)),
  Ssl: z.optional(z.union([sslSchema, stringBool])),
  SecretName: z.optional(z.string().check(z.regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/))),
  Description: z.optional(text(0, 2048)),
  KmsKeyId: z.optional(text(1, 2048)),
  Tags: z._default(z.array(z.object({ Key: text(1, 128), Value: text(0, 256) })), []),
  Rotation: z.optional(rotationSchema),
  OnDelete: z._default(z.enum(['Drop', 'Retain']), 'Drop'),
  ReassignOwnedTo: z.optional(name),
  DropOwnedObjects: z._default(bool, false),
  RecoveryWindowInDays: z._default(int(7, 30), 7),
  AdoptExistingUser: z._default(bool, false),
  PasswordLength: z._default(int(16, 128), 32),
  ExcludeCharacters: z.optional(text(0, 64)),
});

export type DatabaseUserProperties = z.infer<typeof databaseUserProperties>;

/** Parses properties; the error names the fields at fault, never their values. */
export function parseProperties(raw: unknown, which = 'properties'): DatabaseUserProperties {
  const result = databaseUserProperties.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.') || 'properties';
    if (issue.code === 'unrecognized_keys') return `unknown property ${issue.keys.join(', ')}`;
    if (issue.code === 'invalid_type' && issue.input === undefined) return `${path} is required`;
    return `${path} is invalid`;
  });
  throw new InvalidInputError(`invalid ${which}: ${[...new Set(problems)].join('; ')}`);
}
