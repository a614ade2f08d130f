import { escapeIdentifier as id, escapeLiteral as literal } from './escape';
import type { Password } from '../../secrets/password';
import { PRIVILEGES, type GrantSet, type Privilege } from '../engine';
import { scramVerifier } from './scram';

/** A statement and whether its text holds a password (then nothing of it may be shown). */
export interface Statement {
  sql: string;
  sensitive?: boolean;
  /** Borrows role privileges that RETURN_BORROWED_ROLES must give back before COMMIT. */
  borrowsRoles?: boolean;
}

const TABLE_PRIVILEGES: Privilege[] = PRIVILEGES.filter((p) => p !== 'CREATE');

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

// Sequences back serial columns: inserting needs USAGE (nextval), reading needs SELECT.
function sequencePrivileges(privileges: Privilege[]): string[] {
  const out = new Set<string>();
  if (privileges.includes('SELECT')) out.add('SELECT');
  if (privileges.includes('INSERT')) out.add('USAGE');
  if (privileges.includes('UPDATE')) out.add('UPDATE');
  return [...out];
}

// ON ALL TABLES fails on a table the master may not grant on (one another role owns): act on
// the relations whose owner the master acts for, and leave the rest as they are.
function eachManagedRelation(statement: string, schema: string, relkinds: string, username: string): string {
  return `DO $dbauth$ DECLARE rel regclass; BEGIN
  FOR rel IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${literal(schema)} AND c.relkind IN (${relkinds}) AND pg_has_role(current_user, c.relowner, 'USAGE')
  LOOP EXECUTE format(${literal(statement)}, rel, ${literal(username)}); END LOOP; END $dbauth$`;
}

/**
 * PostgreSQL 16 gives a CREATEROLE master ADMIN OPTION on the roles it creates, but not their
 * privileges, which DROP OWNED, REASSIGN OWNED, ALTER DEFAULT PRIVILEGES FOR ROLE and grants on
 * a role's tables need. The master borrows them for one transaction (ADMIN OPTION lets it grant
 * the role to itself), notes what it took in a transaction-local setting, and gives it back
 * before COMMIT (RETURN_BORROWED_ROLES): its own memberships never grow, and a ROLLBACK undoes
 * the borrowing with the rest. Before 16, CREATEROLE lets it grant itself any non-superuser role.
 */
const BORROWED = literal('dbauth.borrowed_roles');
const borrowedRoles = `coalesce(nullif(current_setting(${BORROWED}, true), ''), '{}')::text[]`;

// PL/pgSQL: the master takes the privileges of `role` (an expression) unless it has them already.
const borrowRole = (role: string) => `IF NOT pg_has_role(current_user, ${role}, 'USAGE') THEN
    IF current_setting('server_version_num')::int >= 160000 THEN
      EXECUTE format('GRANT %I TO CURRENT_USER WITH INHERIT TRUE, SET FALSE', ${role});
    ELSE EXECUTE format('GRANT %I TO CURRENT_USER', ${role}); END IF;
    PERFORM set_config(${BORROWED}, (${borrowedRoles} || (${role})::text)::text, true);
  END IF;`;

/** The master takes the privileges of `role` for this transaction; fails when it may not. */
export function borrow(role: string): Statement {
  return { sql: `DO $dbauth$ BEGIN ${borrowRole(literal(role))} END $dbauth$`, borrowsRoles: true };
}

/** Gives back every role this transaction borrowed (a role dropped meanwhile needs nothing). */
export const RETURN_BORROWED_ROLES: Statement = {
  sql: `DO $dbauth$ DECLARE role text; BEGIN
  FOREACH role IN ARRAY ${borrowedRoles} LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN EXECUTE format('REVOKE %I FROM CURRENT_USER', role); END IF;
  END LOOP;
  PERFORM set_config(${BORROWED}, '', true); END $dbauth$`,
};

/**
 * Whether the master may alter `role`, asked of the server itself (RDS may allow more than
 * PostgreSQL's own rules): run in a transaction that is rolled back, it changes nothing.
 */
export function probeManage(role: string): Statement {
  return { sql: `ALTER ROLE ${id(role)} WITH LOGIN` };
}

/**
 * Tables another login creates in the schema (a migration user granted `owner`) are its own,
 * so the master's default privileges miss them: `username` gets the same default privileges
 * FOR ROLE each login that holds CREATE on the schema. That takes the login's privileges, which
 * the master borrows; a role it may not borrow (one it holds no ADMIN OPTION on, on PostgreSQL
 * 16+) is left as it is. Run before the grants on existing relations, it lets those reach that
 * login's tables too.
 */
function creatorsDefaults(
  verb: 'GRANT' | 'REVOKE',
  schema: string,
  username: string,
  kinds: string[],
): string {
  const toOrFrom = verb === 'GRANT' ? 'TO' : 'FROM';
  const alters = kinds
    .map(
      (kind) =>
        `EXECUTE format(${literal(`ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I ${verb} ${kind} ${toOrFrom} %I`)}, creator, ${literal(schema)}, ${literal(username)});`,
    )
    .join(' ');
  return `DO $dbauth$ DECLARE creator name; BEGIN
  FOR creator IN SELECT r.rolname FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
      JOIN pg_roles r ON r.oid = a.grantee
    WHERE n.nspname = ${literal(schema)} AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner
      AND NOT r.rolsuper AND r.rolname NOT IN (current_user, ${literal(username)})
  LOOP BEGIN
    ${borrowRole('creator')}
    ${alters}
  EXCEPTION WHEN insufficient_privilege THEN NULL; END; END LOOP; END $dbauth$`;
}

/**
 * The other side of creatorsDefaults: a login that may now create tables in the schema gives
 * the logins the master's default privileges name the same privileges on them.
 */
function creatorCopiesDefaults(schema: string, username: string): string {
  return `DO $dbauth$ DECLARE entry record; BEGIN
  ${borrowRole(literal(username))}
  FOR entry IN SELECT g.rolname AS grantee, a.privilege_type AS privilege,
      CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' ELSE 'SEQUENCES' END AS kind
    FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace
      CROSS JOIN LATERAL aclexplode(d.defaclacl) a JOIN pg_roles g ON g.oid = a.grantee
    WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
      AND n.nspname = ${literal(schema)} AND d.defaclobjtype IN ('r', 'S') AND g.rolname <> ${literal(username)}
  LOOP EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT %s ON %s TO %I',
    ${literal(username)}, ${literal(schema)}, entry.privilege, entry.kind, entry.grantee); END LOOP;
  EXCEPTION WHEN insufficient_privilege THEN NULL; END $dbauth$`;
}

function perSchema(
  username: string,
  grants: GrantSet,
  verb: 'GRANT' | 'REVOKE',
  schemaAccess: boolean,
): Statement[] {
  const toOrFrom = verb === 'GRANT' ? 'TO' : 'FROM';
  const role = `${toOrFrom} ${id(username)}`;
  const tables = grants.privileges.filter((p) => TABLE_PRIVILEGES.includes(p)).join(', ');
  const sequences = sequencePrivileges(grants.privileges).join(', ');
  return grants.schemas.flatMap((schema) => {
    const s = id(schema);
    const statements: Statement[] = [];
    const schemaPrivileges = [
      ...(verb === 'GRANT' || schemaAccess ? ['USAGE'] : []),
      ...(grants.privileges.includes('CREATE') ? ['CREATE'] : []),
    ];
    if (schemaPrivileges.length > 0)
      statements.push({ sql: `${verb} ${schemaPrivileges.join(', ')} ON SCHEMA ${s} ${role}` });
    if (verb === 'GRANT' && grants.privileges.includes('CREATE'))
      statements.push({ sql: creatorCopiesDefaults(schema, username), borrowsRoles: true });
    const kinds = [
      ...(tables ? [`${tables} ON TABLES`] : []),
      ...(sequences ? [`${sequences} ON SEQUENCES`] : []),
    ];
    if (kinds.length > 0)
      statements.push({ sql: creatorsDefaults(verb, schema, username, kinds), borrowsRoles: true });
    if (tables) {
      statements.push({
        sql: eachManagedRelation(
          `${verb} ${tables} ON %s ${toOrFrom} %I`,
          schema,
          `'r', 'p', 'v', 'm', 'f'`,
          username,
        ),
      });
      // Tables created later (by the user that runs this: the master) follow the grant.
      statements.push({ sql: `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} ${verb} ${tables} ON TABLES ${role}` });
    }
    if (sequences) {
      statements.push({
        sql: eachManagedRelation(
          `${verb} ${sequences} ON SEQUENCE %s ${toOrFrom} %I`,
          schema,
          `'S'`,
          username,
        ),
      });
      statements.push({
        sql: `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} ${verb} ${sequences} ON SEQUENCES ${role}`,
      });
    }
    return statements;
  });
}

export function grant(username: string, grants: GrantSet): Statement[] {
  return [
    { sql: `GRANT CONNECT ON DATABASE ${id(grants.database)} TO ${id(username)}` },
    ...perSchema(username, grants, 'GRANT', true),
  ];
}

export function revokeConnect(username: string, database: string): Statement {
  return { sql: `REVOKE CONNECT ON DATABASE ${id(database)} FROM ${id(username)}` };
}

export function revoke(username: string, grants: GrantSet, schemaAccess: boolean): Statement[] {
  return perSchema(username, grants, 'REVOKE', schemaAccess);
}

/** Held until the transaction ends; advisory locks are local to the database. */
export const SERIALIZE_CHANGES = `SELECT pg_advisory_xact_lock(hashtext('dbauth: grants and roles'))`;

/** Objects the role owns anywhere in the cluster (pg_shdepend spans all databases). */
export const COUNT_OWNED_OBJECTS = `SELECT count(*)::int AS owned FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid
  WHERE r.rolname = $1 AND d.deptype = 'o'`;

/**
 * DROP OWNED revokes what others granted the user as those grantors (PostgreSQL 16+), such as
 * the owner login whose default privileges gave it SELECT on the owner's tables: the master
 * borrows each grantor it may. One it may not leaves DROP ROLE to name the objects in its error.
 */
function borrowGrantorsTo(username: string): Statement {
  return {
    sql: `DO $dbauth$ DECLARE grantor name; BEGIN
  FOR grantor IN SELECT DISTINCT g.rolname FROM (
      SELECT a.grantor, a.grantee FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
      UNION ALL SELECT a.grantor, a.grantee FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
      UNION ALL SELECT d.defaclrole, a.grantee FROM pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a
    ) acl JOIN pg_roles g ON g.oid = acl.grantor JOIN pg_roles u ON u.oid = acl.grantee
    WHERE u.rolname = ${literal(username)} AND NOT g.rolsuper AND g.rolname NOT IN (current_user, ${literal(username)})
  LOOP BEGIN
    ${borrowRole('grantor')}
  EXCEPTION WHEN insufficient_privilege THEN NULL; END; END LOOP; END $dbauth$`,
    borrowsRoles: true,
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

/**
 * Rows of the privileges in `grants` that the logged-in user lacks: none proves access. Tables
 * count when the database's owner (the master) acts for their owner, as grants reach only those.
 */
export function missingPrivileges(grants: GrantSet): { sql: string; params: string[] }[] {
  // Even a user with no table grants must be able to reach its database.
  const checks: { sql: string; params: string[] }[] = [
    {
      sql: `SELECT 'CONNECT on database ' || $1 AS missing WHERE NOT has_database_privilege($1, 'CONNECT')`,
      params: [grants.database],
    },
  ];
  for (const schema of grants.schemas) {
    checks.push({
      sql: `SELECT 'USAGE on schema ' || $1 AS missing WHERE NOT has_schema_privilege($1, 'USAGE')`,
      params: [schema],
    });
    if (grants.privileges.includes('CREATE')) {
      checks.push({
        sql: `SELECT 'CREATE on schema ' || $1 AS missing WHERE NOT has_schema_privilege($1, 'CREATE')`,
        params: [schema],
      });
    }
    for (const privilege of grants.privileges.filter((p) => TABLE_PRIVILEGES.includes(p))) {
      checks.push({
        sql: `SELECT $2 || ' on ' || n.nspname || '.' || c.relname AS missing FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT has_table_privilege(c.oid, $2)
            AND pg_has_role((SELECT datdba FROM pg_database WHERE datname = current_database()), c.relowner, 'USAGE')`,
        params: [schema, privilege],
      });
    }
  }
  return checks;
}
