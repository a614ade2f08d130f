import type { Deps } from '../deps';
import { beforeDeadline, resolvesWithin, timeoutsWithin } from '../deadline';
import type { Engine } from '../engines/engine';
import { DatabaseError, DatabaseUnreachableError } from '../engines/errors';
import { describeError } from '../errors';
import { engineNamed } from '../users/database-server';
import { connectAsMaster, type MasterAccess, type MasterKeys } from '../users/master-session';
import { ConnectionSlots } from './logins';
import { probeLogins, readView, type Planned } from './server-catalogs';
import { markRepairs, repairDeclaration } from './repair';
import { catalogFindings, mergeFindings, orphanClones, REPAIRABLE, serverFinding } from './server-findings';
import type { Declaration, Finding, ServerAuditInput, ServerAuditResult } from './types';

/** What one server's audit uses of `Deps`. */
export type ServerAuditDeps = Pick<Deps, MasterKeys | 'logger'>;

/** How long work cut off by the deadline may take to end (its sessions are closed by then). */
const CLEANUP_MS = 2000;

/** What the audit has learned so far: at the deadline, what was not checked is named. */
class Progress {
  findings: Finding[] = [];
  checked = new Set<string>();
  unchecked = new Map<string, string>();
  masterOpen = 0;
  masterPeak = 0;
  stopped = false;

  skip(declarations: Declaration[], reason: string): void {
    for (const { secretArn } of declarations)
      if (!this.checked.has(secretArn) && !this.unchecked.has(secretArn))
        this.unchecked.set(secretArn, reason);
  }
}

/**
 * Audits one server as its master: one master session at a time (one per database where the
 * engine keeps catalogs per database), each managed login tried once, at most
 * `maxConnections` connections at once, the master's included. Never throws: a master that
 * cannot log in is one server finding and every secret unchecked; at `deadlineAt` it stops
 * and names what it did not check. With `repair`, secrets that ask for it get their grants,
 * clone and TLS put back (never a password, never a drop) and their findings say how it went.
 */
export async function auditServer(
  input: ServerAuditInput,
  deps: ServerAuditDeps,
): Promise<ServerAuditResult> {
  const { target } = input;
  const progress = new Progress();
  const slots = new ConnectionSlots(Math.max(1, input.maxConnections - 1), () => progress.masterOpen);
  const budget = Math.max(0, input.deadlineAt - Date.now());
  try {
    let running: Promise<void> = Promise.resolve();
    const raced = await beforeDeadline((signal) => {
      const timeouts = timeoutsWithin(deps.timeouts, budget, signal);
      running = auditDatabases(input, { ...deps, timeouts }, progress, slots, signal);
      return running;
    }, budget);
    if (!raced.done) {
      progress.skip(target.declarations, 'the audit deadline passed before it was checked');
      // The deadline closed every session: what was under way ends at once, and is waited for.
      await resolvesWithin(running, CLEANUP_MS);
    }
  } catch (error) {
    progress.skip(target.declarations, `the audit of this server failed: ${describeError(error)}`);
  }
  progress.stopped = true;
  const result: ServerAuditResult = {
    findings: [...progress.findings],
    checked: [...progress.checked],
    unchecked: [...progress.unchecked].map(([secretArn, reason]) => ({ secretArn, reason })),
    peakConnections: Math.max(slots.peak, progress.masterPeak),
  };
  deps.logger.info('server audited', {
    engine: target.engine,
    host: target.host,
    port: target.port,
    findings: result.findings.length,
    checked: result.checked.length,
    unchecked: result.unchecked.length,
    peakConnections: result.peakConnections,
  });
  return result;
}

async function auditDatabases(
  input: ServerAuditInput,
  deps: ServerAuditDeps,
  progress: Progress,
  slots: ConnectionSlots,
  signal: AbortSignal,
): Promise<void> {
  const { target } = input;
  const { engine } = engineNamed(target.engine);
  const groups = new Map<string | undefined, Declaration[]>();
  for (const declaration of target.declarations) {
    const key = engine.catalogsPerDatabase ? declaration.grants.database : undefined;
    groups.set(key, [...(groups.get(key) ?? []), declaration]);
  }
  for (const [database, declarations] of groups) {
    if (signal.aborted) return;
    let master: MasterAccess;
    progress.masterOpen = 1;
    progress.masterPeak = Math.max(progress.masterPeak, 1);
    try {
      master = await connectAsMaster(deps, target.masterArn, database ? { database } : {}, {
        described: input.masterDescription,
      });
    } catch (error) {
      progress.masterOpen = 0;
      if (signal.aborted) return;
      const unreachable = error instanceof DatabaseUnreachableError;
      if (!unreachable && error instanceof DatabaseError) {
        progress.skip(declarations, `the master could not log in to this database: ${describeError(error)}`);
        continue;
      }
      const kind = unreachable ? 'server-unreachable' : 'master-login-failed';
      const found = unreachable
        ? (error.code ?? 'unreachable')
        : error instanceof Error
          ? error.name
          : 'failed';
      progress.findings.push(serverFinding(target, kind, found, describeError(error)));
      progress.skip(
        target.declarations,
        unreachable ? 'the server is unreachable' : 'the master cannot log in',
      );
      return;
    }
    try {
      await auditDatabase(input, deps, engine, master, declarations, progress, slots, signal);
    } catch (error) {
      if (!signal.aborted) progress.skip(declarations, `its audit failed: ${describeError(error)}`);
    } finally {
      await master.session.close();
      progress.masterOpen = 0;
    }
  }
}

async function auditDatabase(
  input: ServerAuditInput,
  deps: ServerAuditDeps,
  engine: Engine,
  master: MasterAccess,
  declarations: Declaration[],
  progress: Progress,
  slots: ConnectionSlots,
  signal: AbortSignal,
): Promise<void> {
  const { target } = input;
  const { session } = master;
  const planned: Planned[] = [];
  // dbauth makes a MySQL account REQUIRE SSL when its master session speaks TLS: a secret
  // without an `ssl` of its own was made over the master's TLS, as this session is.
  const asMade = (d: Declaration): Declaration =>
    engine.family === 'mysql' && d.ssl === undefined
      ? { ...d, tlsRequired: master.endpoint.tls.mode !== 'disable' }
      : d;
  for (const declaration of declarations.map(asMade)) {
    const versions = await input.loginsOf(declaration).catch(() => undefined);
    if (!versions) {
      progress.skip([declaration], 'its secret could not be read');
      continue;
    }
    const { clone } = declaration;
    const cloneExpected = clone !== undefined && versions.some((v) => v.username === clone);
    planned.push({
      declaration,
      versions,
      user: declaration.user,
      clone,
      cloneExpected,
    });
  }
  const singles = planned
    .filter((p) => p.declaration.strategy === 'single')
    .map((p) => ({ declaration: p.declaration, clone: engine.cloneUsername(p.user) }));
  const names = [
    ...new Set([...planned.flatMap((p) => [p.user, p.clone ?? []].flat()), ...singles.map((s) => s.clone)]),
  ];
  if (signal.aborted) return;
  const accounts = new Map((await session.inspectAccounts(names)).map((a) => [a.login, a]));
  const view = await readView(session, planned, accounts);
  if (signal.aborted) return;
  const loginFindings = await Promise.all(
    planned.map((p) => probeLogins(p, target, deps, master, accounts, slots, session.cloneModel)),
  );
  if (signal.aborted) return;
  for (const [index, plan] of planned.entries()) {
    let findings = mergeFindings([
      ...(loginFindings[index] ?? []),
      ...catalogFindings(target, plan.declaration, plan, view),
    ]);
    if (
      input.repair &&
      plan.declaration.onDrift === 'repair' &&
      findings.some((f) => REPAIRABLE.has(f.kind))
    ) {
      const failure = await repairDeclaration(session, plan.declaration, plan, findings, view);
      const again = new Map(
        (await session.inspectAccounts([plan.user, plan.clone ?? []].flat())).map((a) => [a.login, a]),
      );
      const after = catalogFindings(target, plan.declaration, plan, await readView(session, [plan], again));
      findings = markRepairs(findings, after, failure);
    }
    if (signal.aborted) return;
    progress.findings.push(...findings);
    progress.checked.add(plan.declaration.secretArn);
  }
  const claimed = new Set(
    target.declarations
      .flatMap((d) => [d.user, d.clone ?? []].flat())
      .concat(planned.flatMap((p) => p.versions.map((v) => v.username))),
  );
  if (!signal.aborted) progress.findings.push(...orphanClones(target, singles, claimed, accounts));
}
