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
} as const;

/** The `dbauth:managed-by` value of a secret managed through its tags. */
export const MANAGED_BY_TAGS = 'tags';

export type Strategy = 'single' | 'alternating';
