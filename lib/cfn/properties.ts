import { z } from 'zod';
import { PRIVILEGES } from '../engines/engine';
import { InvalidInputError } from '../errors';
import { sslSchema } from '../secrets/secret-value';
import { GRANT_PRESETS } from '../users/grants';

// CloudFormation sends every scalar property as a string: "5432", "true".
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const name = z.string().min(1).max(128);

const grantsSchema = z.union([
  z.enum(Object.keys(GRANT_PRESETS) as [keyof typeof GRANT_PRESETS]),
  z.array(z.enum(PRIVILEGES)).min(1),
]);

const rotationSchema = z
  .object({
    Strategy: z.enum(['single', 'alternating']).default('single'),
    // A rate() or cron() expression, as Secrets Manager's RotationRules take it.
    Schedule: z
      .string()
      .regex(/^(rate|cron)\(.+\)$/)
      .optional(),
    AutomaticallyAfterDays: int(1, 1000).optional(),
    Enabled: bool.default(true),
  })
  .strict();

/** The properties of a `Custom::DatabaseUser`, as the design names them. */
export const databaseUserProperties = z
  .object({
    ServiceToken: z.string().optional(),
    MasterSecretArn: z.string().min(1).max(2048),
    Username: name,
    Database: name.optional(),
    Grants: grantsSchema.default('readonly'),
    Schemas: z.array(name).min(1).default(['public']),
    Engine: z.string().min(1).max(64).optional(),
    Host: z.string().min(1).max(253).optional(),
    Port: int(1, 65535).optional(),
    Ssl: z.union([sslSchema, z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
    SecretName: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/)
      .optional(),
    Description: z.string().max(2048).optional(),
    KmsKeyId: z.string().min(1).max(2048).optional(),
    Tags: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).default([]),
    Rotation: rotationSchema.optional(),
    OnDelete: z.enum(['Drop', 'Retain']).default('Drop'),
    ReassignOwnedTo: name.optional(),
    DropOwnedObjects: bool.default(false),
    RecoveryWindowInDays: int(7, 30).default(7),
    AdoptExistingUser: bool.default(false),
    PasswordLength: int(16, 128).default(32),
    ExcludeCharacters: z.string().max(64).optional(),
  })
  .strict();

export type DatabaseUserProperties = z.infer<typeof databaseUserProperties>;

/** Parses properties; the error names the fields at fault, never their values. */
export function parseProperties(raw: unknown): DatabaseUserProperties {
  const result = databaseUserProperties.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.') || 'properties';
    if (issue.code === 'unrecognized_keys') return `unknown property ${issue.keys.join(', ')}`;
    if (issue.code === 'invalid_type' && issue.input === undefined) return `${path} is required`;
    return `${path} is invalid`;
  });
  throw new InvalidInputError(`invalid properties: ${[...new Set(problems)].join('; ')}`);
}
