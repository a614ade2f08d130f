import type { AccountState, CloneComparison, GrantAudit } from '../engines/audit';
import type { Declaration, Finding, FindingKind, ServerTarget } from './types';

// Findings from what the master read of the catalogs: pure, so what counts as drift is tested
// without a server. Texts come from the engines and never hold a password or hash.

/** What the master session read for the declarations of one database. */
export interface CatalogView {
  accounts: Map<string, AccountState>;
  grants: Map<string, GrantAudit>;
  clones: Map<string, CloneComparison>;
}

/** The logins of a declaration: its user, and its clone when it has one (alternating). */
export interface DeclaredLogins {
  user: string;
  clone?: string;
  /** Some version of the secret names the clone: from then on it must exist. */
  cloneExpected: boolean;
}

const sorted = (items: Iterable<string>) => [...new Set(items)].sort();

/** A finding about one declaration's login. */
export function findingOf(
  target: ServerTarget,
  declaration: Declaration,
  kind: FindingKind,
  login: 'user' | 'clone',
  lists: { expected?: string[]; found?: string[]; note?: string },
): Finding {
  return {
    kind,
    secretArn: declaration.secretArn,
    engine: target.engine,
    host: target.host,
    port: target.port,
    database: declaration.grants.database,
    user: declaration.user,
    login,
    expected: sorted(lists.expected ?? []),
    found: sorted(lists.found ?? []),
    note: lists.note || undefined,
  };
}

/** A finding about the server itself (unreachable, its master refused). */
export function serverFinding(target: ServerTarget, kind: FindingKind, found: string, note: string): Finding {
  return {
    kind,
    engine: target.engine,
    host: target.host,
    port: target.port,
    expected: ['the master logs in'],
    found: [found],
    note,
  };
}

/**
 * One declaration against the catalogs: a missing user or clone, missing and extra grants,
 * a clone that does not act as (or copy) its user, an account that no longer requires TLS.
 */
export function catalogFindings(
  target: ServerTarget,
  declaration: Declaration,
  logins: DeclaredLogins,
  view: CatalogView,
): Finding[] {
  const findings: Finding[] = [];
  const user = view.accounts.get(logins.user);
  if (!user?.exists) {
    findings.push(findingOf(target, declaration, 'user-missing', 'user', { expected: [logins.user] }));
  } else {
    const audit = view.grants.get(logins.user);
    if (audit?.missing.length)
      findings.push(findingOf(target, declaration, 'grant-missing', 'user', { expected: audit.missing }));
    if (audit?.extra.length)
      findings.push(
        findingOf(target, declaration, 'grant-extra', 'user', { found: audit.extra.map((e) => e.text) }),
      );
    if (declaration.tlsRequired && user.requiresTls === false)
      findings.push(tlsFinding(target, declaration, 'user'));
  }
  if (!logins.clone) return findings;
  const clone = view.accounts.get(logins.clone);
  if (!clone?.exists) {
    if (logins.cloneExpected)
      findings.push(findingOf(target, declaration, 'clone-missing', 'clone', { expected: [logins.clone] }));
    return findings;
  }
  const extra = view.grants.get(logins.clone)?.extra ?? [];
  if (extra.length > 0)
    findings.push(
      findingOf(target, declaration, 'grant-extra', 'clone', { found: extra.map((e) => e.text) }),
    );
  const comparison = view.clones.get(logins.clone);
  if (comparison?.differs) {
    const kind = comparison.differs === 'role' ? 'clone-role-mismatch' : 'clone-grants-differ';
    findings.push(findingOf(target, declaration, kind, 'clone', comparison));
  }
  if (declaration.tlsRequired && clone.requiresTls === false)
    findings.push(tlsFinding(target, declaration, 'clone'));
  return findings;
}

const tlsFinding = (target: ServerTarget, declaration: Declaration, login: 'user' | 'clone') =>
  findingOf(target, declaration, 'tls-not-required', login, {
    expected: ['REQUIRE SSL'],
    found: ['REQUIRE NONE'],
  });

/**
 * A clone of a single-user secret's user that is still there (a strategy changed, a clone
 * made by hand): dbauth's name for it, but no secret of this server logs in with it.
 */
export function orphanClones(
  target: ServerTarget,
  singles: { declaration: Declaration; clone: string }[],
  claimed: Set<string>,
  accounts: Map<string, AccountState>,
): Finding[] {
  return singles
    .filter(({ clone }) => accounts.get(clone)?.exists && !claimed.has(clone))
    .map(({ declaration, clone }) => ({
      kind: 'orphan-clone' as const,
      engine: target.engine,
      host: target.host,
      port: target.port,
      database: declaration.grants.database,
      user: clone,
      expected: [],
      found: [clone],
      note: `${clone} is the clone name of ${declaration.user}, whose secret ${declaration.secretArn} rotates a single user; no secret logs in with it (drop it by hand if nothing uses it)`,
    }));
}

/** Kinds repair can act on: grants, the clone's access, TLS. Never a password or a drop. */
export const REPAIRABLE: ReadonlySet<FindingKind> = new Set([
  'grant-missing',
  'grant-extra',
  'clone-grants-differ',
  'clone-role-mismatch',
  'tls-not-required',
]);

/** The same finding twice (catalogs and a login both saw a clone acting as someone else): one, lists merged. */
export function mergeFindings(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const finding of findings) {
    const key = `${finding.kind}|${finding.secretArn ?? ''}|${finding.login ?? ''}|${finding.user ?? ''}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, finding);
    else {
      seen.expected = sorted([...seen.expected, ...finding.expected]);
      seen.found = sorted([...seen.found, ...finding.found]);
    }
  }
  return [...byKey.values()];
}
