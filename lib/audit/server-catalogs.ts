import type { AccountState, GrantDeclaration } from '../engines/audit';
import type { EngineSession } from '../engines/engine';
import { AWSPENDING } from '../secrets/stages';
import { tlsMode } from '../users/database-server';
import type { MasterAccess } from '../users/master-session';
import { probeLogin, type ConnectionSlots, type LoginProbe } from './logins';
import { findingOf, type CatalogView, type DeclaredLogins } from './server-findings';
import type { ServerAuditDeps } from './server-audit';
import type { AuditLogin, Declaration, Finding, ServerTarget } from './types';

// What the master session reads for a database's declarations, and the logins tried for them.

export /** A declaration as this run sees it: its logins, and the versions of its secret to try. */
interface Planned extends DeclaredLogins {
  declaration: Declaration;
  versions: AuditLogin[];
}

/** Grants of every login that exists, and each existing clone against its user. */
export async function readView(
  session: EngineSession,
  planned: Planned[],
  accounts: Map<string, AccountState>,
): Promise<CatalogView> {
  const exists = (login: string | undefined): login is string =>
    !!login && accounts.get(login)?.exists === true;
  const wanted: GrantDeclaration[] = [];
  for (const plan of planned) {
    if (exists(plan.user)) wanted.push({ login: plan.user, grants: plan.declaration.grants });
    if (exists(plan.clone)) wanted.push({ login: plan.clone, cloneOf: plan.user });
  }
  const grants = wanted.length > 0 ? await session.auditGrants(wanted) : new Map();
  const clones: CatalogView['clones'] = new Map();
  for (const plan of planned) {
    if (exists(plan.user) && exists(plan.clone))
      clones.set(plan.clone, await session.compareClone(plan.user, plan.clone));
  }
  return { accounts, grants, clones };
}

/**
 * Tries each login the secret holds (AWSCURRENT; for alternating users the AWSPREVIOUS that
 * names the other login), once, over the secret's own TLS. AWSPENDING is tried only when a
 * login is refused. A clone that logs in must act as its user where the engine's clone is a member.
 */
export async function probeLogins(
  plan: Planned,
  target: ServerTarget,
  deps: ServerAuditDeps,
  master: MasterAccess,
  accounts: Map<string, AccountState>,
  slots: ConnectionSlots,
  cloneModel: EngineSession['cloneModel'],
): Promise<Finding[]> {
  const { declaration } = plan;
  const probe: LoginProbe = {
    engine: master.engine,
    endpoint: {
      ...master.endpoint,
      database: declaration.grants.database,
      tls: { mode: tlsMode(declaration.ssl, deps.tls), caBundlePath: deps.tls.caBundlePath },
    },
    timeouts: deps.timeouts,
    slots,
  };
  const tried = new Set<string>();
  const findings: Finding[] = [];
  for (const version of plan.versions) {
    if (version.stage === AWSPENDING || tried.has(version.username)) continue;
    tried.add(version.username);
    const account = accounts.get(version.username);
    if (!account?.exists) continue;
    const login = version.username === plan.clone ? 'clone' : 'user';
    const pending = plan.versions.find((v) => v.stage === AWSPENDING && v.username === version.username);
    const outcome = await probeLogin(probe, version, account, pending);
    if (!outcome.ok) {
      const expected = [`${version.stage} logs in`];
      const found = [outcome.kind === 'rotation-pending' ? 'AWSPENDING logs in' : 'refused'];
      findings.push(
        findingOf(target, declaration, outcome.kind, login, { expected, found, note: outcome.note }),
      );
    } else if (login === 'clone' && cloneModel === 'member' && outcome.current !== plan.user) {
      findings.push(
        findingOf(target, declaration, 'clone-role-mismatch', login, {
          expected: [`logs in as ${plan.user}`],
          found: [`logs in as ${outcome.current}`],
        }),
      );
    }
  }
  return findings;
}
