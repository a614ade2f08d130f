import type { Password } from '../secrets/password';
import type { AuditSession } from './audit';
import type { EngineFamily, EngineName } from './registry';

/** What a managed user may do, per schema (PostgreSQL) or database (MySQL). */
export const PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
  'CREATE',
] as const;
export type Privilege = (typeof PRIVILEGES)[number];

/** A set of grants in one database. `schemas` is ignored by engines without schemas. */
export interface GrantSet {
  database: string;
  schemas: string[];
  privileges: Privilege[];
}

export type TlsMode = 'disable' | 'require' | 'verify-full';

export interface Endpoint {
  engine: EngineName;
  host: string;
  port: number;
  database: string;
  tls: { mode: TlsMode; caBundlePath?: string };
  /**
   * MySQL family: the host part of every account dbauth manages (`'name'@'<userHost>'`),
   * `%` unless `DBAUTH_MYSQL_USER_HOST` says otherwise. Engines whose users have no host part
   * ignore it.
   */
  userHost?: string;
}

export interface Login {
  username: string;
  password: Password;
}

export interface Timeouts {
  connectMs: number;
  statementMs: number;
  /** The invocation's deadline: when it aborts, sessions destroy their connections at once. */
  abort?: AbortSignal;
  /** When the deadline passes (epoch ms): each statement's server-side limit ends there too. */
  deadlineAt?: number;
}

export interface DropOptions {
  /** A role that receives the objects the user owns. */
  reassignOwnedTo?: string;
  /** Drop the objects the user owns along with it. */
  dropOwnedObjects?: boolean;
}

/**
 * One database engine. Adding an engine is one folder implementing this, plus one line in
 * the registry. Engines validate and quote identifiers themselves, and never let a driver
 * error (which may quote a password) escape: they throw `DatabaseError`s.
 */
export interface EngineAdapter<Family extends string> {
  /** The servers it speaks to, as a PhysicalResourceId names them. */
  readonly family: Family;
  /** Where a master logs in when nothing names a database (one every server has). */
  readonly defaultDatabase: string;
  /** Refuses names the engine cannot hold safely, or reserves for itself. */
  validateUsername(username: string): void;
  validateDatabaseName(database: string): void;
  validateSchemaName(schema: string): void;
  /** The second login of the alternating-users strategy, within the engine's length limit. */
  cloneUsername(username: string): string;
  /**
   * Whether catalogs (grants, default privileges) live per database (PostgreSQL), so the audit
   * reads them with one master session per database, or per server (MySQL).
   */
  readonly catalogsPerDatabase: boolean;
  connect(endpoint: Endpoint, login: Login, timeouts: Timeouts): Promise<EngineSession>;
}

/** Any of the registry's engines (`EngineFamily` is read from the adapters themselves). */
export type Engine = EngineAdapter<EngineFamily>;

/**
 * Where grants live: per schema (PostgreSQL), or per database (MySQL, which has no schemas
 * inside a database: a `GrantSet`'s `schemas` mean nothing there, so a grant diff must not
 * read "a schema went" as "revoke everything").
 */
export type GrantScope = 'schema' | 'database';

/**
 * A logged-in session; every method is idempotent. The drift audit's methods (reading
 * accounts and grants, comparing a clone, revoking extra grants, requiring TLS) come from
 * `AuditSession` (lib/engines/audit.ts): every adapter implements them too.
 */
export interface EngineSession extends AuditSession {
  readonly username: string;
  readonly grantScope: GrantScope;
  userExists(username: string): Promise<boolean>;
  /** Creates the login, or sets its password when it exists already. */
  createUser(username: string, password: Password): Promise<void>;
  setPassword(username: string, password: Password): Promise<void>;
  /** Changes the password of the logged-in user itself. */
  changeOwnPassword(password: Password): Promise<void>;
  /** Makes `clone` a login with the same access as `source`, and gives it `password`. */
  cloneUser(source: string, clone: string, password: Password): Promise<void>;
  /** Brings an existing clone's access in line with `source` after grants changed. */
  syncClone(source: string, clone: string): Promise<void>;
  grant(username: string, grants: GrantSet): Promise<void>;
  /**
   * Revokes `grants`; with `schemaAccess`, also the right to reach the schemas at all; with
   * `databaseAccess`, the right to connect to the database (where it is a grant of its own).
   */
  revoke(
    username: string,
    grants: GrantSet,
    options: { schemaAccess: boolean; databaseAccess?: boolean },
  ): Promise<void>;
  /**
   * Throws `MasterCannotManageUserError`, changing nothing, when the logged-in master may not
   * alter or drop `username` (PostgreSQL 16+: a role it holds no ADMIN OPTION on).
   */
  assertCanManage(username: string): Promise<void>;
  /** Drops the user; a user that is not there is fine. */
  dropUser(username: string, options: DropOptions): Promise<void>;
  /** A query that proves the logged-in user has its grants, not merely a login. */
  proveAccess(grants: GrantSet): Promise<void>;
  close(): Promise<void>;
}
