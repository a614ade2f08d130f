import type { GrantSet } from './engine';

// What the drift audit (lib/audit/) asks of a master session. Every adapter's session
// implements it as part of `EngineSession`; what differs by engine (catalogs, how a clone is
// made) stays behind these methods, and every text they return is safe to print.

/** One login as the server holds it. Never its password or hash. */
export interface AccountState {
  login: string;
  exists: boolean;
  /** PostgreSQL: LOGIN; MySQL: always, unless the account is locked. */
  canLogin: boolean;
  locked: boolean;
  /** The password expired (PostgreSQL VALID UNTIL in the past; MySQL PASSWORD EXPIRE). */
  expired: boolean;
  /** Attributes beyond a plain login: `SUPERUSER`, `CREATEDB`, … (PostgreSQL). */
  elevated: string[];
  /** Roles the login is a member of (PostgreSQL). */
  memberOf: string[];
  /** PostgreSQL: the role a login takes at login (`ALTER ROLE … SET role`). */
  actsAs?: string;
  /** MySQL family: the account must use TLS (REQUIRE SSL or stronger). */
  requiresTls?: boolean;
  /** MySQL family: the authentication plugin. */
  plugin?: string;
}

/**
 * A grant that is there but not declared: `text` for a person (`INSERT on public.items`), and a
 * recipe only the engine that found it reads, to revoke it. No recipe: it cannot be revoked
 * from here (a grant in another database, say).
 */
export interface ExtraGrant {
  text: string;
  readonly recipe?: unknown;
}

/** One login to audit. `grants` undefined: a clone, which should hold nothing of its own beyond what its engine's cloning gives it. */
export interface GrantDeclaration {
  login: string;
  grants?: GrantSet;
  /** For a clone: the login it stands in for. */
  cloneOf?: string;
}

export interface GrantAudit {
  /** What the declaration gives and the login cannot do (checked by effect). */
  missing: string[];
  extra: ExtraGrant[];
}

/**
 * How a clone's access differs from its user's, or nothing. `role`: the clone does not act
 * as the user (PostgreSQL's membership model); `grants`: its copied grants differ (MySQL).
 */
export interface CloneComparison {
  differs?: 'role' | 'grants';
  /** What the user has and the clone lacks (or what the clone should act as). */
  expected: string[];
  /** What the clone has and the user lacks (or what it acts as instead). */
  found: string[];
}

export interface RevokeOutcome {
  revoked: string[];
  failed: string[];
}

/**
 * The audit's part of a session. Reading methods change nothing; `revokeGrants` and
 * `requireTls` change access, never a password or the existence of a login.
 */
export interface AuditSession {
  /**
   * `member`: the clone is a member of its user and logs in acting as it (PostgreSQL);
   * `copy`: the clone is an account of its own with a copy of the user's grants (MySQL).
   */
  readonly cloneModel: 'member' | 'copy';
  /** Each login as the server holds it (absent ones `exists: false`), in one round trip where it can. */
  inspectAccounts(logins: string[]): Promise<AccountState[]>;
  /**
   * What each declared login lacks (by effect) and holds beyond what dbauth's own grants
   * make, in the database this session is logged in to. Only logins that exist may be passed.
   */
  auditGrants(declarations: GrantDeclaration[]): Promise<Map<string, GrantAudit>>;
  /** Whether `clone` has the access of `user` (both exist). */
  compareClone(user: string, clone: string): Promise<CloneComparison>;
  /** Who the logged-in session acts as (`current`) and who logged in (`session`). */
  currentRoles(): Promise<{ current: string; session: string }>;
  /** Revokes grants `auditGrants` found; each one that fails is named, the others still go. */
  revokeGrants(login: string, extras: ExtraGrant[]): Promise<RevokeOutcome>;
  /** MySQL family: the account must use TLS from now on (PostgreSQL: nothing to do). */
  requireTls(login: string): Promise<void>;
}

/** Extra grants in the order of their texts (a finding's stable order). */
export const sortByText = (extras: ExtraGrant[]): ExtraGrant[] =>
  [...extras].sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
