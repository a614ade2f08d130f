import { DETAIL_TYPES, type EventDetail, type EventPublisher } from '../events/publisher';
import { findingId, fingerprint, serverKeyOf, truncated } from './findings';
import type { AuditedFinding, AuditSummary } from './report';
import type { DriftState, StoredFinding } from './state';
import type { Finding } from './types';

/** Kinds decided from Secrets Manager alone: checked for every secret the run read. */
const SECRET_KINDS = new Set([
  'secret-unreadable',
  'rotation-disabled',
  'rotation-foreign-function',
  'rotation-overdue',
  'rotation-pending',
]);

/** What this run looked at: a stored finding outside it is neither seen nor resolved. */
export interface AuditScope {
  /** Every managed secret the run described. */
  described: Set<string>;
  /** Secrets whose database side was checked. */
  checked: Set<string>;
  /** Servers (`engine://host:port`) audited to the end, in a run over every secret. */
  servers: Set<string>;
}

export interface SettleOptions {
  auditId: string;
  now: Date;
  ttlDays: number;
  /** Write the state and publish; otherwise only compare with the state (CLI, `publish: false`). */
  publish: boolean;
}

export interface Settled {
  findings: AuditedFinding[];
  counts: { new: number; changed: number; resolved: number; unpublished: number };
}

/**
 * The `Drift Detected` detail of a finding: built field by field from the finding (never a
 * spread of it), so nothing but names, places and the short expected/found texts goes out.
 */
export function driftDetail(finding: AuditedFinding, auditId: string): EventDetail {
  const expected = truncated(finding.expected);
  const found = truncated(finding.found);
  const detail: EventDetail = {
    auditId,
    findingId: finding.findingId,
    fingerprint: finding.fingerprint,
    status: finding.status === 'changed' ? 'changed' : 'new',
    kind: finding.kind,
    engine: finding.engine,
    host: finding.host,
    port: finding.port,
    expected: expected.items,
    found: found.items,
    firstSeen: finding.firstSeen,
    repair: finding.repair ?? 'report',
  };
  const optional = {
    secretArn: finding.secretArn,
    database: finding.database,
    user: finding.user,
    login: finding.login,
    note: finding.note,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) detail[key] = value;
  if (expected.truncated || found.truncated) detail.truncated = true;
  return detail;
}

/** The `Audit Completed` detail: counts only. */
export function completedDetail(auditId: string, summary: AuditSummary): EventDetail {
  return {
    auditId,
    trigger: summary.trigger,
    startedAt: summary.startedAt,
    durationMs: summary.durationMs,
    complete: summary.complete,
    servers: summary.servers,
    serversUnreachable: summary.serversUnreachable,
    secrets: summary.secrets,
    checked: summary.checked,
    skipped: { ...summary.skipped },
    findings: { ...summary.findings },
    byKind: { ...summary.byKind },
    secretsManagerCalls: summary.secretsManagerCalls,
    connections: summary.connections,
  };
}

function inScope(item: StoredFinding, scope: AuditScope): boolean {
  if (!item.secretArn) return scope.servers.has(item.server);
  return SECRET_KINDS.has(item.kind)
    ? scope.described.has(item.secretArn)
    : scope.checked.has(item.secretArn);
}

/**
 * Compares the run's findings with the state: a new or changed finding is claimed (a
 * conditional write) and published, and its claim undone if the event did not go out; an
 * unchanged one is touched; a stored one the run looked for and did not see is resolved.
 */
export async function settleFindings(
  findings: Finding[],
  scope: AuditScope,
  state: DriftState,
  publisher: Pick<EventPublisher, 'publish'>,
  options: SettleOptions,
): Promise<Settled> {
  const stored = new Map((await state.open()).map((item) => [item.findingId, item]));
  const now = options.now.toISOString();
  const expiresAt = options.now.getTime() + options.ttlDays * 86_400_000;
  const counts = { new: 0, changed: 0, resolved: 0, unpublished: 0 };
  const seen = new Set<string>();
  const audited: AuditedFinding[] = [];
  for (const finding of findings) {
    const id = findingId(finding);
    const print = fingerprint(finding);
    if (seen.has(id)) continue;
    seen.add(id);
    const before = stored.get(id);
    const status = !before ? 'new' : before.fingerprint === print ? 'open' : 'changed';
    const entry: AuditedFinding = {
      ...finding,
      findingId: id,
      fingerprint: print,
      status,
      firstSeen: before?.firstSeen ?? now,
    };
    audited.push(entry);
    if (status !== 'open') counts[status] += 1;
    if (!options.publish) continue;
    if (status === 'open') {
      await state.touch(id, now, expiresAt);
      continue;
    }
    const item: StoredFinding = {
      findingId: id,
      fingerprint: print,
      kind: finding.kind,
      secretArn: finding.secretArn,
      server: serverKeyOf(finding),
      firstSeen: entry.firstSeen,
      lastSeen: now,
    };
    // Another run claimed this very finding first: it publishes, this one does not.
    if (!(await state.claim(item, expiresAt))) continue;
    if (!(await publisher.publish(DETAIL_TYPES.driftDetected, driftDetail(entry, options.auditId)))) {
      counts.unpublished += 1;
      await state.release(id, print);
    } else if (finding.repair === 'done') {
      // Repaired: published once more as such, and nothing is left open.
      await state.forget(id);
    }
  }
  for (const item of stored.values()) {
    if (seen.has(item.findingId) || !inScope(item, scope)) continue;
    counts.resolved += 1;
    if (options.publish) await state.forget(item.findingId);
  }
  return { findings: audited, counts };
}
