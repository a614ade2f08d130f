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
  /** Event-driven path: the master secret that manages this secret's user. */
  master: 'dbauth:master',
  database: 'dbauth:database',
  rotation: 'dbauth:rotation',
} as const;

export type Strategy = 'single' | 'alternating';
