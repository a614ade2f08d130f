import { escapeIdentifier as id, escapeLiteral as literal } from './escape';
import type { Password } from '../../secrets/password';
import { borrow, borrowGrantorsTo } from './borrow-statements';
import { scramVerifier } from './scram';

// Every SQL text the PostgreSQL adapter sends is built here, in grant-statements.ts and in
// borrow-statements.ts: pure functions that unit tests read.

/** A statement and whether its text holds a password (then nothing of it may be shown). */
export interface Statement {
  sql: string;
  sensitive?: boolean;
  /** Borrows role privileges that RETURN_BORROWED_ROLES must give back before COMMIT. */
  borrowsRoles?: boolean;
}

/** A query with bind parameters, for statements that take them (ALTER ROLE and GRANT do not). */
export interface Query {
  sql: string;
  params: unknown[];
}

function passwordClause(password: Password): Statement {
  return { sql: `PASSWORD ${literal(scramVerifier(password) ?? password.reveal())}`, sensitive: true };
}

export function createUser(username: string, password: Password): Statement {
  return { sql: `CREATE ROLE ${id(username)} WITH LOGIN ${passwordClause(password).sql}`, sensitive: true };
}

export function setPassword(username: string, password: Password): Statement {
  return { sql: `ALTER ROLE ${id(username)} WITH LOGIN ${passwordClause(password).sql}`, sensitive: true };
}

export function changeOwnPassword(password: Password): Statement {
  return { sql: `ALTER ROLE CURRENT_USER WITH ${passwordClause(password).sql}`, sensitive: true };
}

/**
 * The clone is a member of the original login and acts as it (SET role at login), so the
 * two share grants and the objects either creates — AWS's `_clone` users do not.
 */
export function cloneMembership(source: string, clone: string): Statement[] {
  return [
    { sql: `GRANT ${id(source)} TO ${id(clone)}` },
    { sql: `ALTER ROLE ${id(clone)} SET role = ${literal(source)}` },
  ];
}

/**
 * Whether the master may alter `role`, asked of the server itself (RDS may allow more than
 * PostgreSQL's own rules): run in a transaction that is rolled back, it changes nothing.
 */
export function probeManage(role: string): Statement {
  return { sql: `ALTER ROLE ${id(role)} WITH LOGIN` };
}

/**
 * What starts a transaction: the server's limits for it end at the deadline too (`limitMs`), so
 * a statement the client gave up on cannot commit later (one round trip).
 */
export function begin(limitMs: number): Statement {
  return { sql: `BEGIN; SET LOCAL statement_timeout = ${limitMs}; SET LOCAL lock_timeout = ${limitMs}` };
}

export const COMMIT: Statement = { sql: 'COMMIT' };
export const ROLLBACK: Statement = { sql: 'ROLLBACK' };

/** Held until the transaction ends; advisory locks are local to the database. */
export const SERIALIZE_CHANGES: Statement = {
  sql: `SELECT pg_advisory_xact_lock(hashtext('dbauth: grants and roles'))`,
};

export function roleExists(username: string): Query {
  return { sql: 'SELECT 1 FROM pg_roles WHERE rolname = $1', params: [username] };
}

/** Objects the role owns anywhere in the cluster (pg_shdepend spans all databases). */
export function ownedObjects(username: string): Query {
  return {
    sql: `SELECT count(*)::int AS owned FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid
  WHERE r.rolname = $1 AND d.deptype = 'o'`,
    params: [username],
  };
}

/** DROP OWNED and REASSIGN OWNED take the privileges of every role they name: borrowed. */
export function dropUser(username: string, reassignOwnedTo: string | undefined): Statement[] {
  return [
    borrow(username),
    borrowGrantorsTo(username),
    ...(reassignOwnedTo
      ? [borrow(reassignOwnedTo), { sql: `REASSIGN OWNED BY ${id(username)} TO ${id(reassignOwnedTo)}` }]
      : []),
    // Revokes its privileges and default privileges here (and drops what it still owns).
    { sql: `DROP OWNED BY ${id(username)}` },
    { sql: `DROP ROLE ${id(username)}` },
  ];
}
