import type { AccountState, CloneComparison, ExtraGrant } from '../audit';
import type { GrantSet } from '../engine';
import type { PostgresRevocable } from './audit-statements';
import { sequencePrivileges, tablePrivileges } from './grant-statements';

// The drift audit's diffs for PostgreSQL: pure functions of what the catalogs said.

/** One row of `grantRows`: a privilege a login holds directly. */
export interface GrantRow {
  login: string;
  /** `database`, `schema`, `table`, `sequence`, `column`, or `default:<defaclobjtype>`. */
  on_kind: string;
  /** The schema (the database for `database`; `*` for a global default). */
  schema: string;
  name: string;
  col: string;
  for_role: string;
  privilege: string;
  grantable: boolean;
  owner: string;
}

/** One row of `grantsElsewhere`. */
export interface ElsewhereRow {
  login: string;
  catalog: string;
  database: string;
  objects: number;
}

/**
 * Whether dbauth's own `grant` makes this row for `grants`: CONNECT on the database; USAGE (and
 * CREATE if declared) on each schema; table privileges on relations and sequence privileges on
 * sequences there; the same as default privileges there, FOR ROLE anyone. Never with GRANT
 * OPTION, never on a column. A clone (`grants` undefined) should hold nothing of its own.
 */
export function isDeclaredRow(row: GrantRow, grants: GrantSet | undefined): boolean {
  if (!grants || row.grantable) return false;
  const inSchema = grants.schemas.includes(row.schema);
  switch (row.on_kind) {
    case 'database':
      return row.schema === grants.database && row.privilege === 'CONNECT';
    case 'schema':
      return (
        inSchema &&
        (row.privilege === 'USAGE' || (row.privilege === 'CREATE' && grants.privileges.includes('CREATE')))
      );
    case 'table':
    case 'default:r':
      return inSchema && (tablePrivileges(grants.privileges) as readonly string[]).includes(row.privilege);
    case 'sequence':
    case 'default:S':
      return inSchema && sequencePrivileges(grants.privileges).includes(row.privilege);
    default:
      return false;
  }
}

const DEFAULT_OBJECTS: Record<string, string> = {
  r: 'tables',
  S: 'sequences',
  f: 'functions',
  T: 'types',
  n: 'schemas',
};

/** A row as a person reads it: `INSERT on public.items`, `default DELETE on tables in public for app_owner`. */
export function rowText(row: GrantRow): string {
  const option = row.grantable ? ' WITH GRANT OPTION' : '';
  if (row.on_kind.startsWith('default:')) {
    const objects = DEFAULT_OBJECTS[row.on_kind.slice('default:'.length)] ?? row.on_kind;
    const where = row.schema === '*' ? 'everywhere' : `in ${row.schema}`;
    return `default ${row.privilege} on ${objects} ${where} for ${row.for_role}${option}`;
  }
  switch (row.on_kind) {
    case 'database':
    case 'schema':
      return `${row.privilege} on ${row.on_kind} ${row.schema}${option}`;
    case 'sequence':
      return `${row.privilege} on sequence ${row.schema}.${row.name}${option}`;
    case 'column':
      return `${row.privilege} (${row.col}) on ${row.schema}.${row.name}${option}`;
    default:
      return `${row.privilege} on ${row.schema}.${row.name}${option}`;
  }
}

function recipeOf(row: GrantRow): PostgresRevocable {
  if (row.on_kind.startsWith('default:')) {
    return {
      kind: 'default',
      objtype: row.on_kind.slice('default:'.length),
      schema: row.schema,
      forRole: row.for_role,
      privilege: row.privilege,
      grantOption: false,
    };
  }
  return {
    kind: 'acl',
    onKind: row.on_kind,
    schema: row.schema,
    name: row.name,
    col: row.col,
    privilege: row.privilege,
    owner: row.owner,
    grantOption: false,
  };
}

/**
 * The rows beyond the declaration. A declared privilege held WITH GRANT OPTION is extra only
 * for its option: repair takes the option back and leaves the privilege.
 */
export function extraRows(rows: GrantRow[], grants: GrantSet | undefined): ExtraGrant[] {
  return rows
    .filter((row) => !isDeclaredRow(row, grants))
    .map((row) => {
      const recipe = recipeOf(row);
      const optionOnly = row.grantable && isDeclaredRow({ ...row, grantable: false }, grants);
      return { text: rowText(row), recipe: optionOnly ? { ...recipe, grantOption: true } : recipe };
    });
}

/** Grants in other databases or on other catalogs: shown, not revoked from this database. */
export function extraElsewhere(rows: ElsewhereRow[]): ExtraGrant[] {
  return rows.map((row) => ({
    text: `privileges on ${row.objects} object(s) of ${row.catalog}${row.database ? ` in database ${row.database}` : ''}`,
  }));
}

/**
 * Attributes and memberships beyond a plain login. A clone's membership of its user is how
 * it acts as the user: not extra (compareClone says when it is missing).
 */
export function extraAccount(account: AccountState, cloneOf: string | undefined): ExtraGrant[] {
  const attributes = account.elevated.map((attribute) => ({
    text: attribute,
    recipe: { kind: 'attribute', attribute } satisfies PostgresRevocable,
  }));
  const memberships = account.memberOf
    .filter((role) => role !== cloneOf)
    .map((role) => ({
      text: `member of ${role}`,
      recipe: { kind: 'member', role } satisfies PostgresRevocable,
    }));
  return [...attributes, ...memberships];
}

/**
 * Default privileges `grant` makes and that are not there: in each declared schema, FOR ROLE
 * the master and FOR ROLE each managed login that may create tables there (`creators`).
 */
export function missingDefaults(
  rows: GrantRow[],
  grants: GrantSet,
  master: string,
  creators: { login: string; schema: string }[],
): string[] {
  const has = new Set(
    rows.filter((r) => !r.grantable).map((r) => `${r.on_kind}|${r.schema}|${r.for_role}|${r.privilege}`),
  );
  const missing: string[] = [];
  const kinds: [string, string[]][] = [
    ['r', tablePrivileges(grants.privileges)],
    ['S', sequencePrivileges(grants.privileges)],
  ];
  for (const schema of grants.schemas) {
    const roles = [master, ...creators.filter((c) => c.schema === schema).map((c) => c.login)];
    for (const role of new Set(roles)) {
      for (const [objtype, privileges] of kinds) {
        for (const privilege of privileges) {
          if (has.has(`default:${objtype}|${schema}|${role}|${privilege}`)) continue;
          missing.push(`default ${privilege} on ${DEFAULT_OBJECTS[objtype]} in ${schema} for ${role}`);
        }
      }
    }
  }
  return missing;
}

/** The clone must be a member of its user and take the user's role at login. */
export function compareCloneAccount(user: string, clone: AccountState): CloneComparison {
  const expected = [`member of ${user}`, `role=${user} at login`];
  const found = [
    ...(clone.memberOf.includes(user) ? [`member of ${user}`] : []),
    ...(clone.actsAs ? [`role=${clone.actsAs} at login`] : []),
  ];
  const same = expected.every((text) => found.includes(text));
  return same ? { expected: [], found: [] } : { differs: 'role', expected, found: found.sort() };
}
