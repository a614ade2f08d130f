import { DatabaseError } from '../errors';
import { grantAtom, revokeAtom, type Statement } from './statements';

/**
 * One grant of an account, independent of the account: a privilege on an object
 * (`SELECT ON \`db\`.*`, `SELECT (\`col\`) ON \`db\`.\`t\``, `GRANT OPTION ON \`db\`.*`) or a
 * role. Copying an account's grants to another is then: read its atoms, write them for the
 * other account; bringing the other in line is a set difference.
 */
export type GrantAtom =
  | { kind: 'privilege'; privilege: string; on: string }
  | { kind: 'role'; role: string }
  // MariaDB: the role active at login (SHOW GRANTS says it; MySQL 8 keeps it elsewhere).
  | { kind: 'default-role'; role: string };

const QUOTED = "(?:`(?:[^`]|``)*`|'(?:[^'\\\\]|\\\\.|'')*')";
const NAME = `(?:\\*|${QUOTED})`;
const OBJECT = `(?:(?:FUNCTION|PROCEDURE|PACKAGE BODY|PACKAGE) )?${NAME}\\.${NAME}`;
const ACCOUNT = `${QUOTED}(?:@${QUOTED})?`;
const PRIVILEGE_LINE = new RegExp(`^GRANT ((?:[^\`]|${QUOTED})+?) ON (${OBJECT}) TO ${ACCOUNT}(.*)$`, 's');
const ROLE_LINE = new RegExp(`^GRANT (${ACCOUNT}(?:\\s*,\\s*${ACCOUNT})*) TO ${ACCOUNT}(.*)$`, 's');
const DEFAULT_ROLE_LINE = new RegExp(`^SET DEFAULT ROLE (${QUOTED}) FOR ${ACCOUNT}$`, 's');
// Lines that are not grants to copy: proxy rights.
const NOT_COPIED = /^GRANT PROXY ON /;

/** Splits at commas outside parentheses and quotes. */
function topLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '`' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(list.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

/** `SELECT (\`a\`, \`b\`)` is one atom per column; `SELECT` is itself. */
function privilegeAtoms(privilege: string, on: string): GrantAtom[] {
  const columns = /^([A-Z ]+?)\s*\((.*)\)$/s.exec(privilege);
  if (!columns) return [{ kind: 'privilege', privilege: privilege.toUpperCase(), on }];
  const [, name = '', list = ''] = columns;
  return topLevel(list).map((column) => ({ kind: 'privilege', privilege: `${name} (${column})`, on }));
}

// A tail holds `IDENTIFIED BY PASSWORD '...'`, REQUIRE and resource limits on MariaDB: only
// WITH GRANT OPTION is a grant. Quoted strings are taken out before looking.
const grantOption = (tail: string) =>
  /\bWITH\b.*\bGRANT OPTION\b/s.test(tail.replace(/'(?:[^'\\]|\\.)*'/g, "''"));

/** The atoms of SHOW GRANTS output. A line it cannot read fails: a partial copy is worse. */
export function parseGrants(lines: string[]): GrantAtom[] {
  const atoms: GrantAtom[] = [];
  for (const line of lines.map((l) => l.trim())) {
    if (NOT_COPIED.test(line)) continue;
    const privileges = PRIVILEGE_LINE.exec(line);
    if (privileges) {
      const [, list = '', on = '', tail = ''] = privileges;
      for (const privilege of topLevel(list)) {
        if (/^USAGE$/i.test(privilege)) continue;
        atoms.push(...privilegeAtoms(privilege, on));
      }
      if (grantOption(tail)) atoms.push({ kind: 'privilege', privilege: 'GRANT OPTION', on });
      continue;
    }
    const defaultRole = DEFAULT_ROLE_LINE.exec(line);
    if (defaultRole) {
      atoms.push({ kind: 'default-role', role: defaultRole[1] ?? '' });
      continue;
    }
    const roles = ROLE_LINE.exec(line);
    if (roles) {
      for (const role of topLevel(roles[1] ?? '')) atoms.push({ kind: 'role', role });
      continue;
    }
    throw new DatabaseError('read grants failed: a SHOW GRANTS line is in a form dbauth cannot copy');
  }
  return atoms;
}

export const atomKey = (atom: GrantAtom) =>
  atom.kind === 'privilege' ? `${atom.privilege} ON ${atom.on}` : `${atom.kind.toUpperCase()} ${atom.role}`;

// A default role is set after the role is granted, and unset before it is revoked.
const lastIfDefaultRole = (atom: GrantAtom) => (atom.kind === 'default-role' ? 1 : 0);

/**
 * What makes `clone`'s grants exactly `source`'s: revokes first (a revoke after `GRANT ALL`
 * would take part of it back), then grants.
 */
export function syncStatements(source: GrantAtom[], clone: GrantAtom[], grantee: string): Statement[] {
  const wanted = new Map(source.map((a) => [atomKey(a), a]));
  const has = new Map(clone.map((a) => [atomKey(a), a]));
  const revoked = [...has].filter(([key]) => !wanted.has(key)).map(([, atom]) => atom);
  const granted = [...wanted].filter(([key]) => !has.has(key)).map(([, atom]) => atom);
  return [
    ...revoked
      .sort((a, b) => lastIfDefaultRole(b) - lastIfDefaultRole(a))
      .map((atom) => revokeAtom(atom, grantee)),
    ...granted
      .sort((a, b) => lastIfDefaultRole(a) - lastIfDefaultRole(b))
      .map((atom) => grantAtom(atom, grantee)),
  ];
}
