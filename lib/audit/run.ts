import { randomUUID } from 'node:crypto';
import { beforeDeadline } from '../deadline';
import type { Deps } from '../deps';
import { describeError } from '../errors';
import { DETAIL_TYPES } from '../events/publisher';
import { errorDetails } from '../log';
import { countByKind, serverKeyOf } from './findings';
import { pendingOf, takeInventory, type ManagedSecret } from './inventory';
import { consentedTarget } from './consent-gate';
import { pool } from './pool';
import { completedDetail, settleFindings, type AuditScope } from './publish';
import type { AuditReport, AuditSummary } from './report';
import { serverBlocks, type ServerOutcome } from './report-build';
import { isRotating, pendingVersionIdOf, rotationFindings } from './rotation-checks';
import { CountedSecretReads } from './secret-reads';
import type { AuditSettings } from './settings';
import type { DriftState } from './state';
import type { Finding, ServerAuditInput, ServerAuditResult, ServerTarget } from './types';

/** One server's audit (lib/audit/server-audit.ts, with its dependencies bound). */
export type AuditServer = (input: ServerAuditInput) => Promise<ServerAuditResult>;

export interface AuditOptions {
  trigger: 'schedule' | 'on-demand';
  /** Only these secrets (names or ARNs); none: every managed secret under the name prefix. */
  secretIds?: string[];
  /** Let secrets tagged `dbauth:on-drift=repair` be repaired (and the deployment allows it). */
  repair: boolean;
  /** Keep state and publish events; otherwise report only (CLI, `publish: false`). */
  publish: boolean;
  /** Time the run may take; `Infinity` for none. Publishing happens after it. */
  budgetMs: number;
}

/** What `runAudit` uses of `Deps`, and the audit's own. */
export type AuditKeys =
  | 'store'
  | 'publisher'
  | 'logger'
  | 'tls'
  | 'rotationLambdaArn'
  | 'defaultRotationSchedule'
  | 'secretNamePrefix'
  | 'accountId';
export type AuditDeps = Pick<Deps, AuditKeys> & {
  audit: AuditSettings;
  driftState: DriftState;
  /** The time rotation checks and state use; tests move it. */
  clock?: () => Date;
};

const ROTATION_FREE = new Set(['server-unreachable', 'master-login-failed']);

/**
 * The drift audit: inventory, rotation checks, each server's audit (a pool of them) under one
 * deadline, then dedupe against the state and the events. Reads Secrets Manager only.
 */
export async function runAudit(
  options: AuditOptions,
  deps: AuditDeps,
  auditServer: AuditServer,
): Promise<AuditReport> {
  const clock = deps.clock ?? (() => new Date());
  const startedAt = clock();
  const startMs = Date.now();
  const deadlineAt = startMs + Math.min(options.budgetMs, 2 ** 31 - 1);
  const auditId = randomUUID();
  const reads = new CountedSecretReads(deps.store);
  const inventory = await takeInventory(
    reads,
    options.secretIds ? { secretIds: options.secretIds } : { namePrefix: deps.secretNamePrefix },
    deps.tls,
  );
  const findings: Finding[] = [...inventory.findings];
  const rotating = new Set<string>();
  for (const secret of inventory.secrets) {
    findings.push(...(await checkRotation(secret, reads, deps, clock(), rotating)));
  }

  const unchecked = new Map<string, string>([...rotating].map((arn) => [arn, 'rotating']));
  const checked = new Set<string>();
  const outcomes: ServerOutcome[] = [];
  const fullServers = new Set<string>();
  let deadlineSkips = 0;
  let serversUnreachable = 0;
  const targets = inventory.targets
    .map((t) => ({ ...t, declarations: t.declarations.filter((d) => !rotating.has(d.secretArn)) }))
    .filter((t) => t.declarations.length > 0);
  const descriptions = new Map(inventory.secrets.map((s) => [s.description.arn, s.description]));
  const visit = async (whole: ServerTarget) => {
    const began = Date.now();
    let target = whole;
    const skip = (reason: string) => target.declarations.forEach((d) => unchecked.set(d.secretArn, reason));
    if (began >= deadlineAt) {
      deadlineSkips += target.declarations.length;
      return skip('deadline');
    }
    const serverDeadline = Math.min(deadlineAt, began + deps.audit.serverBudgetMs);
    try {
      const gate = await consentedTarget(whole, descriptions, deps);
      findings.push(...gate.findings);
      gate.refused.forEach(({ secretArn, reason }) => unchecked.set(secretArn, reason));
      inventory.warnings.push(...gate.warnings);
      target = gate.target;
      if (target.declarations.length === 0) return;
      const input: ServerAuditInput = {
        target,
        masterDescription: gate.master,
        loginsOf: inventory.loginsOf,
        maxConnections: deps.audit.maxConnections,
        deadlineAt: serverDeadline,
        repair: options.repair && deps.audit.repair === 'per-secret',
      };
      const raced = await beforeDeadline(() => auditServer(input), serverDeadline - began);
      if (!raced.done) {
        deadlineSkips += target.declarations.length;
        return skip('deadline');
      }
      const result = raced.value;
      findings.push(...result.findings);
      result.checked.forEach((arn) => checked.add(arn));
      result.unchecked.forEach(({ secretArn, reason }) => unchecked.set(secretArn, reason));
      if (result.findings.some((f) => !f.secretArn && ROTATION_FREE.has(f.kind))) serversUnreachable += 1;
      fullServers.add(serverKeyOf(target));
      outcomes.push({ target, durationMs: Date.now() - began, peakConnections: result.peakConnections });
    } catch (error) {
      deps.logger.warn('server audit failed', {
        engine: target.engine,
        host: target.host,
        port: target.port,
        ...errorDetails(error),
      });
      skip(`server audit failed: ${describeError(error)}`);
    }
  };
  await pool(targets, deps.audit.serverConcurrency, visit);

  await recheckMoved(findings, inventory.secrets, reads, deps, clock(), checked, unchecked);

  const scope: AuditScope = {
    described: new Set(inventory.secrets.map((s) => s.description.arn)),
    checked,
    servers: options.secretIds ? new Set() : fullServers,
  };
  const settled = await settleFindings(findings, scope, deps.driftState, deps.publisher, {
    auditId,
    now: clock(),
    ttlDays: deps.audit.stateTtlDays,
    publish: options.publish,
  });
  const audited = settled.findings;
  const summary: AuditSummary = {
    trigger: options.trigger,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startMs,
    complete: deadlineSkips === 0,
    servers: inventory.targets.length,
    serversUnreachable,
    secrets: inventory.secrets.length,
    checked: checked.size,
    skipped: { rotating: rotating.size, deadline: deadlineSkips },
    findings: {
      open: audited.length,
      new: settled.counts.new,
      changed: settled.counts.changed,
      resolved: settled.counts.resolved,
      repaired: audited.filter((f) => f.repair === 'done').length,
    },
    byKind: countByKind(audited),
    secretsManagerCalls: reads.total,
    connections: Math.max(0, ...outcomes.map((o) => o.peakConnections)),
    unpublished: settled.counts.unpublished,
  };
  if (options.publish)
    await deps.publisher.publish(DETAIL_TYPES.auditCompleted, completedDetail(auditId, summary));
  deps.logger.info('audit done', { ...completedDetail(auditId, summary), warnings: inventory.warnings });
  return {
    auditId,
    complete: summary.complete,
    servers: serverBlocks(inventory.secrets, outcomes, audited, unchecked, deps.defaultRotationSchedule),
    unchecked: [...unchecked].map(([secretArn, reason]) => ({ secretArn, reason })),
    warnings: inventory.warnings,
    summary,
  };
}

/** Rotation findings of one secret; a secret mid-rotation (young AWSPENDING) goes into `rotating`. */
async function checkRotation(
  secret: ManagedSecret,
  reads: CountedSecretReads,
  deps: AuditDeps,
  now: Date,
  rotating: Set<string>,
): Promise<Finding[]> {
  const pendingId = pendingVersionIdOf(secret.description);
  const pending = pendingId ? await pendingOf(reads, secret, pendingId) : undefined;
  if (isRotating(pending, now, deps.audit.pendingGraceMs)) rotating.add(secret.description.arn);
  return rotationFindings({
    description: secret.description,
    where: secret.where,
    now,
    ourFunctionArn: deps.rotationLambdaArn,
    defaultSchedule: deps.defaultRotationSchedule,
    overdueGraceMs: deps.audit.overdueGraceMs,
    pendingGraceMs: deps.audit.pendingGraceMs,
    ...(pending ? { pending } : {}),
  });
}

/**
 * ListSecrets may be minutes behind: each secret with findings is described again. If its
 * tags or AWSCURRENT moved, its rotation is checked on the fresh description and its database
 * findings are dropped (unchecked this run: the state keeps them, the next run decides).
 */
async function recheckMoved(
  findings: Finding[],
  secrets: ManagedSecret[],
  reads: CountedSecretReads,
  deps: AuditDeps,
  now: Date,
  checked: Set<string>,
  unchecked: Map<string, string>,
): Promise<void> {
  const withFindings = new Set(findings.flatMap((f) => (f.secretArn ? [f.secretArn] : [])));
  for (const secret of secrets) {
    const arn = secret.description.arn;
    if (!withFindings.has(arn)) continue;
    const fresh = await reads.describe(arn);
    const current = (d: typeof fresh) =>
      Object.entries(d?.versions ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
    const moved =
      !fresh ||
      current(fresh) !== current(secret.description) ||
      !sameTags(fresh.tags, secret.description.tags);
    if (!moved) continue;
    for (let i = findings.length - 1; i >= 0; i -= 1)
      if (findings[i]!.secretArn === arn) findings.splice(i, 1);
    checked.delete(arn);
    if (!fresh) continue;
    unchecked.set(arn, 'changed during the audit');
    findings.push(...(await checkRotation({ ...secret, description: fresh }, reads, deps, now, new Set())));
  }
}

/** Whether two tag sets are the same, in whatever order ListSecrets and DescribeSecret give them. */
const sameTags = (a: Record<string, string>, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
