import { PRIVILEGES, type GrantScope, type GrantSet, type Privilege } from '../engines/engine';

export const GRANT_PRESETS = {
  readonly: ['SELECT'],
  readwrite: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  owner: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'CREATE'],
} as const satisfies Record<string, readonly Privilege[]>;
export type GrantPreset = keyof typeof GRANT_PRESETS;

/** A preset name or an explicit list of privileges, as users write it. */
export type GrantsInput = GrantPreset | readonly Privilege[];

export function privilegesOf(grants: GrantsInput): Privilege[] {
  const list = typeof grants === 'string' ? GRANT_PRESETS[grants] : grants;
  return [...new Set(list)].sort();
}

/** What to revoke and what to grant to move a user from one grant set to another. */
export interface GrantChanges {
  revoke: { grants: GrantSet; schemaAccess: boolean }[];
  grant: GrantSet[];
}

/**
 * The smallest change from `from` to `to` in the same database: per schema, revoke what
 * went and grant what came; a schema that went loses access altogether. With grants scoped
 * to the database (MySQL), schemas are ignored and only the privileges are compared.
 */
export function diffGrants(from: GrantSet, to: GrantSet, scope: GrantScope = 'schema'): GrantChanges {
  const changes: GrantChanges = { revoke: [], grant: [] };
  if (scope === 'database') {
    const gone = from.privileges.filter((p) => !to.privileges.includes(p));
    const came = to.privileges.filter((p) => !from.privileges.includes(p));
    if (gone.length > 0)
      changes.revoke.push({
        grants: { database: from.database, schemas: [], privileges: gone },
        schemaAccess: false,
      });
    if (came.length > 0) changes.grant.push({ database: to.database, schemas: [], privileges: came });
    return changes;
  }
  const allSchemas = [...new Set([...from.schemas, ...to.schemas])].sort();
  for (const schema of allSchemas) {
    const had = from.schemas.includes(schema) ? from.privileges : [];
    const wants = to.schemas.includes(schema) ? to.privileges : [];
    const gone = had.filter((p) => !wants.includes(p));
    const came = wants.filter((p) => !had.includes(p));
    const schemaGone = had.length > 0 && !to.schemas.includes(schema);
    if (gone.length > 0 || schemaGone) {
      changes.revoke.push({
        grants: { database: from.database, schemas: [schema], privileges: gone },
        schemaAccess: schemaGone,
      });
    }
    // A new schema needs its USAGE even when it brings no new privilege.
    const schemaCame = to.schemas.includes(schema) && !from.schemas.includes(schema);
    if (came.length > 0 || schemaCame) {
      changes.grant.push({ database: to.database, schemas: [schema], privileges: came });
    }
  }
  return changes;
}

// Tag values on AWS allow no commas: dbauth writes lists space-separated, and reads commas too
// (moto and older docs took them).
const LIST_SEPARATOR = /[\s,]+/;

/** A list as dbauth writes it in a tag value: separated by spaces. */
export const tagList = (items: readonly string[]) => items.join(' ');

/** The schemas a `dbauth:schemas` tag names (separated by spaces); `public` when there is no tag. */
export function schemasFromTag(value: string | undefined): string[] {
  return (value ?? 'public')
    .split(LIST_SEPARATOR)
    .map((schema) => schema.trim())
    .filter((schema) => schema.length > 0);
}

/** The grants a `dbauth:grants` tag names: a preset, or privileges separated by spaces. */
export function grantsFromTag(value: string): Privilege[] | undefined {
  const trimmed = value.trim();
  if (trimmed in GRANT_PRESETS) return privilegesOf(trimmed as GrantPreset);
  const list = trimmed
    .split(LIST_SEPARATOR)
    .filter(Boolean)
    .map((p) => p.toUpperCase());
  if (list.length === 0 || !list.every((p): p is Privilege => (PRIVILEGES as readonly string[]).includes(p)))
    return undefined;
  return privilegesOf(list);
}
