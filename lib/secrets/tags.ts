import { InvalidInputError } from '../errors';

/** Tags dbauth reads and writes on secrets. */
export const TAGS = {
  /** Who manages the secret: `cloudformation:<stack id>/<logical id>` or `tags`. */
  managedBy: 'dbauth:managed-by',
  /** `single` or `alternating`: how the rotation function rotates the secret. */
  strategy: 'dbauth:strategy',
  /** A grant preset or a comma-separated privilege list: what testSecret proves. */
  grants: 'dbauth:grants',
  /** The first login of the user (alternating users: `name`, whose clone is `name_clone`). */
  username: 'dbauth:user',
  /** Comma-separated schemas the grants apply to (PostgreSQL). */
  schemas: 'dbauth:schemas',
  /** The engine and host of the user's database: what events name, without reading the secret. */
  engine: 'dbauth:engine',
  host: 'dbauth:host',
  /** Event-driven path: the master secret that manages this secret's user. */
  master: 'dbauth:master',
  /** Event-driven path: the database of the user (default: the secret's `dbname`, or the master's). */
  database: 'dbauth:database',
  /** Event-driven path: `off`, a `rate(...)`/`cron(...)` schedule, or a number of days. */
  rotation: 'dbauth:rotation',
  /** `length=<n>` and optionally `exclude=<base64>`: the secret's passwords, at every rotation. */
  passwordPolicy: 'dbauth:password-policy',
  /** Event-driven path: the grants and schemas dbauth applied last (`<grants>|<schemas>`), to diff from. */
  applied: 'dbauth:applied',
  /** On a master: the stacks (stack-name prefixes, space-separated) that may declare users through it. */
  allowStacks: 'dbauth:allow-stacks',
  /** On a master: the secrets (name prefixes, space-separated) that may become users through their tags. */
  allowSecrets: 'dbauth:allow-secrets',
  /** On a master: the strongest grant it lends (a preset or space-separated privileges); readonly when absent. */
  maxGrants: 'dbauth:max-grants',
  /** On a master: existing users (name prefixes, space-separated) that dbauth may take over. */
  allowAdopt: 'dbauth:allow-adopt',
  /** Read by the drift audit: `report` (the default) or `repair` what it finds on the database. */
  onDrift: 'dbauth:on-drift',
} as const;

/**
 * What a tag value may hold on AWS: letters, digits, spaces and `_ . : / = + - @`, up to 256
 * characters (keys: the same, 1 to 128). Lists in dbauth's tags are therefore space-separated.
 */
export const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
export const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

/** The `dbauth:managed-by` value of a secret managed through its tags. */
export const MANAGED_BY_TAGS = 'tags';
/** How the `dbauth:managed-by` value of a stack's secret starts: `cloudformation:<stack id>/<logical id>`. */
export const MANAGED_BY_STACK = 'cloudformation:';

export type Strategy = 'single' | 'alternating';

/**
 * Refuses tags Secrets Manager would refuse (moto takes any), before the call and naming the
 * key: a value is not shown, and a half-done request is not left behind.
 */
export function refuseInvalidTags(secretId: string, tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (!TAG_KEY.test(key) || key.toLowerCase().startsWith('aws:') || !TAG_VALUE.test(value)) {
      throw new InvalidInputError(
        `tag ${TAG_KEY.test(key) ? key : '(a key)'} of secret ${secretId} is not one Secrets Manager takes: keys and values hold letters, digits, spaces and _ . : / = + - @ only (keys up to 128 characters, values up to 256), and keys do not start with aws:`,
      );
    }
  }
}
