import { createHash } from 'node:crypto';
// mysql2's own escaping library, without loading the driver at cold start.
import { escape as literal, escapeId } from 'sql-escaper';
import type { Password } from '../../secrets/password';
import type { GrantSet, Privilege } from '../engine';
import type { GrantAtom } from './grants';

// Every SQL text the MySQL adapter sends is built here: pure functions that unit tests read.

/** A statement and whether its text holds a password (then nothing of it may be shown). */
export interface Statement {
  sql: string;
  sensitive?: boolean;
}

/** A query with `?` placeholders the driver fills in. */
export interface Query {
  sql: string;
  params: unknown[];
}

/** `'name'@'host'`: MySQL accounts are a user name and a host pattern, both string literals. */
export function account(username: string, host: string): string {
  return `${literal(username)}@${literal(host)}`;
}

/**
 * A database name as GRANT reads it. `_` and `%` are wildcards in a database-level GRANT, so
 * `app_db` would also grant on `appXdb`: they are escaped, and SHOW GRANTS and
 * information_schema then hold the escaped form too.
 */
export function grantDatabase(database: string): string {
  return database.replace(/[_%]/g, '\\$&');
}

/**
 * Our privileges in MySQL terms. The mapping is disjoint, so a diff of our privileges is a
 * diff of MySQL's. TRUNCATE TABLE needs DROP in MySQL. MySQL users own nothing, so what an
 * owner does with its tables (alter, index, views) comes with CREATE.
 */
export const MYSQL_PRIVILEGES: Record<Privilege, string[]> = {
  SELECT: ['SELECT'],
  INSERT: ['INSERT'],
  UPDATE: ['UPDATE'],
  DELETE: ['DELETE'],
  TRUNCATE: ['DROP'],
  REFERENCES: ['REFERENCES'],
  TRIGGER: ['TRIGGER'],
  CREATE: ['CREATE', 'ALTER', 'INDEX', 'CREATE VIEW', 'SHOW VIEW'],
};

export function mysqlPrivileges(privileges: Privilege[]): string[] {
  return [...new Set(privileges.flatMap((p) => MYSQL_PRIVILEGES[p]))];
}

/** MySQL or MariaDB: they part ways on password hashes and on how an account changes its own. */
export type Flavour = 'mysql' | 'mariadb';

/**
 * mysql_native_password's stored form, `*` and the hex of SHA1(SHA1(password)): what MariaDB
 * keeps, and what its PROCESSLIST and logs then show instead of the password.
 */
export function nativePasswordHash(password: Password): string {
  const inner = createHash('sha1').update(password.reveal(), 'utf8').digest();
  return `*${createHash('sha1').update(inner).digest('hex').toUpperCase()}`;
}

/**
 * MariaDB gets the hash (its default plugin, mysql_native_password, takes one), so the password
 * never reaches the server. MySQL 8's default, caching_sha2_password, takes only a salted hash
 * in its own crypt format; it gets the password as a literal the driver escapes (with backslash
 * escapes on for the session, see SESSION_SETUP).
 */
function identified(password: Password, flavour: Flavour): string {
  return flavour === 'mariadb'
    ? `IDENTIFIED BY PASSWORD '${nativePasswordHash(password)}'`
    : `IDENTIFIED BY ${literal(password.reveal())}`;
}

export function createUser(
  user: string,
  host: string,
  password: Password,
  requireTls: boolean,
  flavour: Flavour,
): Statement {
  return {
    sql: `CREATE USER ${account(user, host)} ${identified(password, flavour)}${requireTls ? ' REQUIRE SSL' : ''}`,
    sensitive: true,
  };
}

/** Never `REQUIRE NONE`: setting a password must not weaken what the account requires. */
export function setPassword(
  user: string,
  host: string,
  password: Password,
  flavour: Flavour,
  requireTls = false,
): Statement {
  return {
    sql: `ALTER USER ${account(user, host)} ${identified(password, flavour)}${requireTls ? ' REQUIRE SSL' : ''}`,
    sensitive: true,
  };
}

/**
 * MySQL lets any account `ALTER USER` itself; MariaDB wants the CREATE USER privilege for that,
 * but lets any account `SET PASSWORD` to a hash.
 */
export function changeOwnPassword(password: Password, flavour: Flavour): Statement {
  const sql =
    flavour === 'mariadb'
      ? `SET PASSWORD = '${nativePasswordHash(password)}'`
      : `ALTER USER CURRENT_USER() ${identified(password, flavour)}`;
  return { sql, sensitive: true };
}

export function grant(user: string, host: string, grants: GrantSet): Statement[] {
  const privileges = mysqlPrivileges(grants.privileges);
  if (privileges.length === 0) return [];
  const on = `${escapeId(grantDatabase(grants.database))}.*`;
  return [{ sql: `GRANT ${privileges.join(', ')} ON ${on} TO ${account(user, host)}` }];
}

export function revoke(user: string, host: string, grants: GrantSet): Statement[] {
  const privileges = mysqlPrivileges(grants.privileges);
  if (privileges.length === 0) return [];
  const on = `${escapeId(grantDatabase(grants.database))}.*`;
  return [{ sql: `REVOKE ${privileges.join(', ')} ON ${on} FROM ${account(user, host)}` }];
}

export function dropUser(user: string, host: string): Statement {
  return { sql: `DROP USER IF EXISTS ${account(user, host)}` };
}

/**
 * Backslash escapes on, whatever the server's sql_mode: the driver escapes literals with
 * backslashes, which NO_BACKSLASH_ESCAPES would turn into part of the value.
 */
export const SESSION_SETUP = `SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')`;

/**
 * The server's own bounds on the session's statements, so one the client gave up on ends on
 * the server too, and never lands later: MariaDB stops any statement after max_statement_time;
 * MySQL only SELECTs (max_execution_time), so for MySQL the lock waits are what is bounded
 * (account statements wait on locks, such as a backup's FLUSH TABLES WITH READ LOCK).
 */
export function sessionLimits(flavour: Flavour, statementMs: number): string {
  const seconds = Math.max(1, Math.ceil(statementMs / 1000));
  const locks = `lock_wait_timeout = ${seconds}, innodb_lock_wait_timeout = ${seconds}`;
  return flavour === 'mariadb'
    ? `SET SESSION max_statement_time = ${(statementMs / 1000).toFixed(3)}, ${locks}`
    : `SET SESSION max_execution_time = ${Math.max(1, Math.round(statementMs))}, ${locks}`;
}

export function userExists(user: string, host: string): Query {
  return { sql: 'SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', params: [user, host] };
}

export function showGrants(user: string, host: string): Query {
  return { sql: 'SHOW GRANTS FOR ?@?', params: [user, host] };
}

/** Holds the account's password hash: read only for whether it says REQUIRE. */
export function showCreateUser(user: string, host: string): Query {
  return { sql: 'SHOW CREATE USER ?@?', params: [user, host] };
}

export const SERVER_VERSION = 'SELECT VERSION() AS version';

/** Ends the statement a thread runs (sent from a connection of its own). */
export const killQuery = (threadId: number) => `KILL QUERY ${Math.trunc(threadId)}`;

/** MariaDB only: `statement`, stopped by the server after `seconds` (SET STATEMENT … FOR). */
export const boundedStatement = (statement: string, seconds: number) =>
  `SET STATEMENT max_statement_time = ${seconds.toFixed(3)} FOR ${statement}`;

/** `'name'@'host'` of the logged-in account, as information_schema writes grantees. */
// Single-quoted literals only: under sql_mode ANSI_QUOTES a double-quoted one is an identifier.
const CURRENT_GRANTEE = `CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`;

/** The privileges the logged-in account holds on a database, directly or globally. */
export function heldPrivileges(database: string): Query {
  return {
    sql: `SELECT PRIVILEGE_TYPE AS privilege FROM information_schema.SCHEMA_PRIVILEGES
        WHERE GRANTEE = ${CURRENT_GRANTEE} AND TABLE_SCHEMA IN (?, ?)
      UNION SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ${CURRENT_GRANTEE}`,
    params: [grantDatabase(database), database],
  };
}

/**
 * Stored objects that run as the account (DEFINER): MySQL users own no tables, but views,
 * routines, triggers and events name a definer and stop working without it.
 */
export function definedObjects(user: string, host: string): Query {
  // information_schema writes a definer as `name@host`, unquoted.
  const definer = `${user}@${host}`;
  return {
    sql: `SELECT 'VIEW' AS kind, TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.VIEWS WHERE DEFINER = ?
  UNION ALL SELECT ROUTINE_TYPE, ROUTINE_SCHEMA, ROUTINE_NAME FROM information_schema.ROUTINES WHERE DEFINER = ?
  UNION ALL SELECT 'TRIGGER', TRIGGER_SCHEMA, TRIGGER_NAME FROM information_schema.TRIGGERS WHERE DEFINER = ?
  UNION ALL SELECT 'EVENT', EVENT_SCHEMA, EVENT_NAME FROM information_schema.EVENTS WHERE DEFINER = ?`,
    params: [definer, definer, definer, definer],
  };
}

const DROP_KIND: Record<string, string> = {
  VIEW: 'VIEW',
  PROCEDURE: 'PROCEDURE',
  FUNCTION: 'FUNCTION',
  TRIGGER: 'TRIGGER',
  EVENT: 'EVENT',
};

export function dropDefinedObject(object: { kind: string; db: string; name: string }): Statement | undefined {
  const kind = DROP_KIND[object.kind];
  return kind ? { sql: `DROP ${kind} IF EXISTS ${escapeId(object.db)}.${escapeId(object.name)}` } : undefined;
}

/** Statements that give `grantee` (an account, quoted) an atom. */
export function grantAtom(atom: GrantAtom, grantee: string): Statement {
  if (atom.kind === 'role') return { sql: `GRANT ${atom.role} TO ${grantee}` };
  if (atom.kind === 'default-role') return { sql: `SET DEFAULT ROLE ${atom.role} FOR ${grantee}` };
  if (atom.privilege === 'GRANT OPTION')
    return { sql: `GRANT USAGE ON ${atom.on} TO ${grantee} WITH GRANT OPTION` };
  return { sql: `GRANT ${atom.privilege} ON ${atom.on} TO ${grantee}` };
}

export function revokeAtom(atom: GrantAtom, grantee: string): Statement {
  if (atom.kind === 'role') return { sql: `REVOKE ${atom.role} FROM ${grantee}` };
  if (atom.kind === 'default-role') return { sql: `SET DEFAULT ROLE NONE FOR ${grantee}` };
  return { sql: `REVOKE ${atom.privilege} ON ${atom.on} FROM ${grantee}` };
}
