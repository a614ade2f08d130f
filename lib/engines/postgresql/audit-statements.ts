import { escapeIdentifier as id } from './escape';
import { borrow } from './borrow-statements';
import type { Query, Statement } from './statements';

// The drift audit's SQL (checked on PostgreSQL 15 to 18): what it reads and what repair runs.

/** Logins as pg_roles holds them: attributes, memberships, and the role each takes at login. */
export function accounts(logins: string[]): Query {
  return {
    sql: `SELECT r.rolname AS login, r.rolcanlogin AS can_login,
    coalesce(r.rolvaliduntil < now(), false) AS expired,
    array_remove(ARRAY[CASE WHEN r.rolsuper THEN 'SUPERUSER' END, CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
      CASE WHEN r.rolcreatedb THEN 'CREATEDB' END, CASE WHEN r.rolreplication THEN 'REPLICATION' END,
      CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END], NULL) AS elevated,
    ARRAY(SELECT DISTINCT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
      WHERE m.member = r.oid ORDER BY 1) AS member_of,
    (SELECT substring(c FROM 6) FROM pg_db_role_setting s CROSS JOIN LATERAL unnest(s.setconfig) c
      WHERE s.setrole = r.oid AND s.setdatabase = 0 AND c LIKE 'role=%' LIMIT 1) AS acts_as
  FROM pg_roles r WHERE r.rolname = ANY($1)`,
    params: [logins],
  };
}

/**
 * Every direct privilege the logins hold in this database (and CONNECT on every database),
 * except on what they own. PUBLIC's rows have no grantee that matches, and the master's
 * ADMIN OPTION on a login is a membership of the master, not of the login: neither is read.
 */
export function grantRows(logins: string[]): Query {
  return {
    sql: `WITH u AS (SELECT oid, rolname FROM pg_roles WHERE rolname = ANY($1))
SELECT u.rolname AS login, 'database' AS on_kind, d.datname AS schema, '' AS name, '' AS col, '' AS for_role,
    a.privilege_type AS privilege, a.is_grantable AS grantable, pg_get_userbyid(d.datdba) AS owner
  FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a JOIN u ON u.oid = a.grantee WHERE d.datdba <> u.oid
UNION ALL SELECT u.rolname, 'schema', n.nspname, '', '', '', a.privilege_type, a.is_grantable, pg_get_userbyid(n.nspowner)
  FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a JOIN u ON u.oid = a.grantee WHERE n.nspowner <> u.oid
UNION ALL SELECT u.rolname, CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END, n.nspname, c.relname, '', '',
    a.privilege_type, a.is_grantable, pg_get_userbyid(c.relowner)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL aclexplode(c.relacl) a
  JOIN u ON u.oid = a.grantee WHERE c.relowner <> u.oid
UNION ALL SELECT u.rolname, 'column', n.nspname, c.relname, att.attname, '', a.privilege_type, a.is_grantable,
    pg_get_userbyid(c.relowner)
  FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL aclexplode(att.attacl) a JOIN u ON u.oid = a.grantee WHERE c.relowner <> u.oid
UNION ALL SELECT u.rolname, 'default:' || d.defaclobjtype::text, coalesce(n.nspname, '*'), '', '',
    pg_get_userbyid(d.defaclrole), a.privilege_type, a.is_grantable, pg_get_userbyid(d.defaclrole)
  FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
  CROSS JOIN LATERAL aclexplode(d.defaclacl) a JOIN u ON u.oid = a.grantee`,
    params: [logins],
  };
}

/** Privileges the logins hold elsewhere (other databases, functions, types…), counted by kind. */
export function grantsElsewhere(logins: string[]): Query {
  return {
    sql: `SELECT u.rolname AS login, d.classid::regclass::text AS catalog, coalesce(db.datname, '') AS database,
    count(*)::int AS objects
  FROM pg_shdepend d JOIN pg_roles u ON u.oid = d.refobjid LEFT JOIN pg_database db ON db.oid = d.dbid
  WHERE d.deptype = 'a' AND u.rolname = ANY($1) AND d.classid <> 'pg_database'::regclass
    AND NOT (d.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND d.classid IN ('pg_class'::regclass, 'pg_namespace'::regclass, 'pg_default_acl'::regclass))
  GROUP BY 1, 2, 3`,
    params: [logins],
  };
}

/**
 * What `login` lacks of its declaration, by effect (as testSecret checks: PUBLIC counts), on
 * the relations whose owner the database's owner acts for: texts as the audit prints them.
 */
export function missingByEffect(
  login: string,
  schemas: string[],
  tablePrivileges: string[],
  sequencePrivileges: string[],
  withCreate: boolean,
): Query {
  return {
    sql: `WITH s AS (SELECT unnest($2::text[]) AS nspname), tp AS (SELECT unnest($3::text[]) AS priv),
  sp AS (SELECT unnest($4::text[]) AS priv),
  managed AS (SELECT c.oid, c.relname, c.relkind, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN s ON s.nspname = n.nspname
    WHERE pg_has_role((SELECT datdba FROM pg_database WHERE datname = current_database()), c.relowner, 'USAGE'))
SELECT 'CONNECT on database ' || current_database() AS missing WHERE NOT has_database_privilege($1, current_database(), 'CONNECT')
UNION ALL SELECT 'USAGE on schema ' || s.nspname FROM s LEFT JOIN pg_namespace n ON n.nspname = s.nspname
  WHERE n.oid IS NULL OR NOT has_schema_privilege($1, n.oid, 'USAGE')
UNION ALL SELECT 'CREATE on schema ' || s.nspname FROM s LEFT JOIN pg_namespace n ON n.nspname = s.nspname
  WHERE $5 AND (n.oid IS NULL OR NOT has_schema_privilege($1, n.oid, 'CREATE'))
UNION ALL SELECT tp.priv || ' on ' || m.nspname || '.' || m.relname FROM managed m CROSS JOIN tp
  WHERE m.relkind IN ('r', 'p', 'v', 'm') AND NOT has_table_privilege($1, m.oid, tp.priv)
UNION ALL SELECT sp.priv || ' on sequence ' || m.nspname || '.' || m.relname FROM managed m CROSS JOIN sp
  WHERE m.relkind = 'S' AND NOT has_sequence_privilege($1, m.oid, sp.priv)`,
    params: [login, schemas, tablePrivileges, sequencePrivileges, withCreate],
  };
}

/** Logins (of `candidates`) that hold CREATE on each schema: whose tables get default privileges. */
export function creators(candidates: string[], schemas: string[]): Query {
  return {
    sql: `SELECT r.rolname AS login, n.nspname AS schema FROM pg_roles r CROSS JOIN pg_namespace n
  WHERE r.rolname = ANY($1) AND n.nspname = ANY($2) AND n.nspowner <> r.oid AND has_schema_privilege(r.oid, n.oid, 'CREATE')`,
    params: [candidates, schemas],
  };
}

export const CURRENT_ROLES: Query = {
  sql: 'SELECT current_user AS current, session_user AS session',
  params: [],
};

/** What an extra grant is, as `auditGrants` found it: what repair needs to revoke it. */
export type PostgresRevocable =
  | {
      kind: 'acl';
      onKind: string;
      schema: string;
      name: string;
      col: string;
      privilege: string;
      owner: string;
      grantOption: boolean;
    }
  | {
      kind: 'default';
      objtype: string;
      schema: string;
      forRole: string;
      privilege: string;
      grantOption: boolean;
    }
  | { kind: 'member'; role: string }
  | { kind: 'attribute'; attribute: string };

const DEFAULT_OBJECTS: Record<string, string> = {
  r: 'TABLES',
  S: 'SEQUENCES',
  f: 'FUNCTIONS',
  T: 'TYPES',
  n: 'SCHEMAS',
};

const ON_KIND: Record<string, string> = {
  database: 'DATABASE',
  schema: 'SCHEMA',
  table: 'TABLE',
  sequence: 'SEQUENCE',
};

/**
 * Statements that take one extra grant back, as the role that gave it where the master may act
 * as that role (it borrows the object's owner, or the role whose default privileges they are).
 */
export function revokeExtra(login: string, extra: PostgresRevocable): Statement[] {
  const from = `FROM ${id(login)}`;
  switch (extra.kind) {
    case 'member':
      return [{ sql: `REVOKE ${id(extra.role)} ${from}` }];
    case 'attribute':
      return [{ sql: `ALTER ROLE ${id(login)} NO${extra.attribute}` }];
    case 'default': {
      const option = extra.grantOption ? 'GRANT OPTION FOR ' : '';
      const where = extra.schema === '*' ? '' : ` IN SCHEMA ${id(extra.schema)}`;
      const objects = DEFAULT_OBJECTS[extra.objtype] ?? 'TABLES';
      return [
        borrow(extra.forRole),
        {
          sql: `ALTER DEFAULT PRIVILEGES FOR ROLE ${id(extra.forRole)}${where} REVOKE ${option}${extra.privilege} ON ${objects} ${from}`,
        },
      ];
    }
    case 'acl': {
      const option = extra.grantOption ? 'GRANT OPTION FOR ' : '';
      const object =
        extra.onKind === 'database' || extra.onKind === 'schema'
          ? `${ON_KIND[extra.onKind]} ${id(extra.schema)}`
          : `${extra.onKind === 'sequence' ? 'SEQUENCE' : 'TABLE'} ${id(extra.schema)}.${id(extra.name)}`;
      const column = extra.onKind === 'column' ? ` (${id(extra.col)})` : '';
      return [
        borrow(extra.owner),
        { sql: `REVOKE ${option}${extra.privilege}${column} ON ${object} ${from}` },
      ];
    }
  }
}
