import { escapeIdentifier as id, escapeLiteral as literal } from './escape';
import { PRIVILEGES, type GrantSet, type Privilege } from '../engine';
import { borrowRole } from './borrow-statements';
import type { Query, Statement } from './statements';

export const TABLE_PRIVILEGES: Privilege[] = PRIVILEGES.filter((p) => p !== 'CREATE');

// Sequences back serial columns: inserting needs USAGE (nextval), reading needs SELECT.
/** The declared privileges that apply to tables (all but CREATE, a schema's). */
export function tablePrivileges(privileges: readonly Privilege[]): Privilege[] {
  return privileges.filter((p) => TABLE_PRIVILEGES.includes(p));
}

export function sequencePrivileges(privileges: Privilege[]): string[] {
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
  const tables = tablePrivileges(grants.privileges).join(', ');
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

/**
 * Rows of the privileges in `grants` that the logged-in user lacks: none proves access. Tables
 * count when the database's owner (the master) acts for their owner, as grants reach only those.
 */
export function missingPrivileges(grants: GrantSet): Query[] {
  // Even a user with no table grants must be able to reach its database.
  const checks: Query[] = [
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
    for (const privilege of tablePrivileges(grants.privileges)) {
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
