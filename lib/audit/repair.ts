import type { EngineSession } from '../engines/engine';
import { DatabaseError } from '../engines/errors';
import { describeError } from '../errors';
import { REPAIRABLE, type CatalogView, type DeclaredLogins } from './server-findings';
import type { Declaration, Finding } from './types';

/**
 * Puts one declaration's access back as dbauth made it, through the master: missing grants
 * granted again (the whole idempotent grant), extra grants revoked, the clone re-synced with
 * its user, TLS required. Never a drop, never a password. Returns why it failed, or nothing;
 * `recheck` then tells what is left, and `markRepairs` says what that means per finding.
 */
export async function repairDeclaration(
  session: EngineSession,
  declaration: Declaration,
  logins: DeclaredLogins,
  findings: Finding[],
  view: CatalogView,
): Promise<string | undefined> {
  const wants = (kind: Finding['kind'], login: 'user' | 'clone') =>
    findings.some((f) => f.kind === kind && f.login === login);
  const cloneExists = logins.clone !== undefined && view.accounts.get(logins.clone)?.exists === true;
  try {
    await session.assertCanManage(logins.user);
    if (cloneExists && logins.clone) await session.assertCanManage(logins.clone);
    if (wants('grant-missing', 'user')) await session.grant(logins.user, declaration.grants);
    const failed: string[] = [];
    for (const [kind, login] of [
      ['grant-extra', 'user'],
      ['grant-extra', 'clone'],
    ] as const) {
      const name = login === 'user' ? logins.user : logins.clone;
      if (!name || !wants(kind, login)) continue;
      const outcome = await session.revokeGrants(name, view.grants.get(name)?.extra ?? []);
      failed.push(...outcome.failed);
    }
    if (cloneExists && logins.clone) {
      if (wants('tls-not-required', 'user') || wants('tls-not-required', 'clone'))
        await session.requireTls(logins.user);
      // A clone is synced after its user's grants are right, so it copies the right ones.
      if (
        wants('clone-grants-differ', 'clone') ||
        wants('clone-role-mismatch', 'clone') ||
        wants('grant-missing', 'user') ||
        wants('grant-extra', 'user')
      )
        await session.syncClone(logins.user, logins.clone);
      const cloneLacksTls = findings.some(
        (f) => f.kind === 'clone-grants-differ' && f.expected.includes('REQUIRE SSL'),
      );
      if (wants('tls-not-required', 'clone') || cloneLacksTls) await session.requireTls(logins.clone);
    } else if (wants('tls-not-required', 'user')) await session.requireTls(logins.user);
    return failed.length > 0 ? `could not revoke: ${failed.join(', ')}` : undefined;
  } catch (error) {
    if (!(error instanceof DatabaseError)) throw error;
    return describeError(error);
  }
}

/**
 * Each repairable finding of before, marked by what the check after repair found: gone is
 * `done`; still there but smaller is `partial`; unchanged (or the repair failed outright) is
 * `failed`. The note says what is left, or why.
 */
export function markRepairs(before: Finding[], after: Finding[], failure: string | undefined): Finding[] {
  return before.map((finding) => {
    if (!REPAIRABLE.has(finding.kind)) return finding;
    const left = after.find((f) => f.kind === finding.kind && f.login === finding.login);
    if (!left) return { ...finding, repair: 'done' as const };
    const size = (f: Finding) => f.expected.length + f.found.length;
    const repair = size(left) < size(finding) ? ('partial' as const) : ('failed' as const);
    const remaining = [...left.expected, ...left.found].join(', ');
    return { ...finding, repair, note: `${failure ? `${failure}; ` : ''}still: ${remaining}` };
  });
}
