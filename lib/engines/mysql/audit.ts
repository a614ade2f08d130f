import { escapeId } from 'sql-escaper';
import { sortByText, type CloneComparison, type ExtraGrant } from '../audit';
import type { GrantSet } from '../engine';
import { atomKey, parseGrants, type GrantAtom } from './grants';
import { grantDatabase, mysqlPrivileges } from './statements';

// The drift audit's diffs for the MySQL family: pure functions of SHOW GRANTS lines.

/** What repair needs to take an extra grant back. */
export type MysqlRevocable = { kind: 'atom'; atom: GrantAtom } | { kind: 'proxy'; on: string };

const PROXY_LINE =
  /^GRANT PROXY ON ((?:'(?:[^'\\]|\\.|'')*'|`(?:[^`]|``)*`)@(?:'(?:[^'\\]|\\.|'')*'|`(?:[^`]|``)*`)) TO /;

/** The atoms `grant` writes for `grants`: each privilege on `` `db`.* `` (escaped as GRANT reads it). */
export function expectedAtoms(grants: GrantSet): GrantAtom[] {
  const on = `${escapeId(grantDatabase(grants.database))}.*`;
  return mysqlPrivileges(grants.privileges).map((privilege) => ({ kind: 'privilege', privilege, on }));
}

/** Proxy rights (which rotation's copy leaves out): each is extra to the audit. */
export function proxyRights(lines: string[]): string[] {
  return lines.flatMap((line) => {
    const match = PROXY_LINE.exec(line.trim());
    return match?.[1] ? [match[1]] : [];
  });
}

/**
 * Whether an expected atom is held: on the same object, by that privilege or ALL PRIVILEGES
 * there, or on `*.*` (a global grant covers every database; it is still extra).
 */
function covered(atom: GrantAtom, held: GrantAtom[]): boolean {
  if (atom.kind !== 'privilege') return held.some((h) => atomKey(h) === atomKey(atom));
  return held.some(
    (h) =>
      h.kind === 'privilege' &&
      (h.on === atom.on || h.on === '*.*') &&
      (h.privilege === atom.privilege || h.privilege === 'ALL PRIVILEGES' || h.privilege === 'ALL'),
  );
}

/**
 * One login's grants against its declaration: atoms beyond what `grant` writes are extra (an
 * unescaped `` `app_db`.* `` is another object, so extra too); expected atoms not covered are
 * missing. USAGE is no grant (parseGrants drops it).
 */
export function diffGrants(lines: string[], grants: GrantSet): { missing: string[]; extra: ExtraGrant[] } {
  const held = parseGrants(lines);
  const expected = expectedAtoms(grants);
  const expectedKeys = new Set(expected.map(atomKey));
  const extra: ExtraGrant[] = [
    ...held
      .filter((atom) => !expectedKeys.has(atomKey(atom)))
      .map((atom) => ({ text: atomKey(atom), recipe: { kind: 'atom', atom } satisfies MysqlRevocable })),
    ...proxyRights(lines).map((on) => ({
      text: `PROXY ON ${on}`,
      recipe: { kind: 'proxy', on } satisfies MysqlRevocable,
    })),
  ];
  const missing = expected.filter((atom) => !covered(atom, held)).map(atomKey);
  return {
    missing: missing.sort(),
    extra: sortByText(extra),
  };
}

/**
 * The clone is a copy: its atoms must be the user's (`expected`: only the user's; `found`:
 * only the clone's), and it must require TLS when the user does.
 */
export function compareCopies(
  user: { lines: string[]; requiresTls: boolean },
  clone: { lines: string[]; requiresTls: boolean },
): CloneComparison {
  const keys = (lines: string[]) =>
    new Set([...parseGrants(lines).map(atomKey), ...proxyRights(lines).map((on) => `PROXY ON ${on}`)]);
  const mine = keys(user.lines);
  const its = keys(clone.lines);
  const expected = [...mine].filter((key) => !its.has(key));
  const found = [...its].filter((key) => !mine.has(key));
  if (user.requiresTls && !clone.requiresTls) expected.push('REQUIRE SSL');
  if (expected.length === 0 && found.length === 0) return { expected, found };
  return { differs: 'grants', expected: expected.sort(), found: found.sort() };
}

/** ssl_type as either catalog writes it: none when absent, 0 or empty. */
export const requiresTlsOf = (ssl: unknown): boolean =>
  ssl !== null && ssl !== undefined && !['', '0', 'NONE'].includes(String(ssl).toUpperCase());
