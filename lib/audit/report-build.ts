import type { AuditRunCounts } from '../metrics';
import { serverKeyOf } from './findings';
import type { ManagedSecret } from './inventory';
import type { AuditedFinding, AuditSummary, ServerReport, UserReport } from './report';
import { minuteOf, nextRotationOf } from './rotation-checks';
import type { ServerTarget } from './types';

/** What a server's audit gave, for its block in the report. */
export interface ServerOutcome {
  target: ServerTarget;
  durationMs: number;
  peakConnections: number;
}

/**
 * The report's blocks: one per server and master, each with its users (every managed secret,
 * findings or not) and the server-wide findings; secrets that declare no server go in a block
 * of the place their tags name.
 */
export function serverBlocks(
  secrets: ManagedSecret[],
  outcomes: ServerOutcome[],
  findings: AuditedFinding[],
  unchecked: Map<string, string>,
  defaultSchedule: string,
): ServerReport[] {
  const blocks = new Map<string, ServerReport>();
  const blockOf = (where: { engine: string; host: string; port: number }, masterArn?: string) => {
    const key = `${serverKeyOf(where)}|${masterArn ?? ''}`;
    let block = blocks.get(key);
    if (!block) {
      block = { engine: where.engine, host: where.host, port: where.port, findings: [], users: [] };
      if (masterArn) block.masterArn = masterArn;
      blocks.set(key, block);
    }
    return block;
  };
  for (const { target, durationMs, peakConnections } of outcomes) {
    Object.assign(blockOf(target, target.masterArn), { durationMs, peakConnections });
  }
  for (const secret of secrets) {
    const { description, declaration } = secret;
    const user: UserReport = {
      secretArn: description.arn,
      findings: findings.filter((finding) => finding.secretArn === description.arn),
    };
    if (secret.where.user) user.user = secret.where.user;
    if (declaration) user.strategy = declaration.strategy;
    if (description.lastRotatedDate) user.lastRotated = minuteOf(description.lastRotatedDate);
    const next = nextRotationOf(description, defaultSchedule);
    if (next) user.nextRotation = next;
    const why = unchecked.get(description.arn);
    if (why) user.unchecked = why;
    blockOf(declaration ?? secret.where, declaration?.masterArn).users.push(user);
  }
  for (const finding of findings.filter((f) => !f.secretArn)) {
    const key = serverKeyOf(finding);
    const block = [...blocks.values()].find((b) => serverKeyOf(b) === key) ?? blockOf(finding);
    block.findings.push(finding);
  }
  return [...blocks.values()];
}

/** What a run's metrics say of it (lib/metrics.ts): counts only. */
export function runCountsOf(summary: AuditSummary): AuditRunCounts {
  const { findings } = summary;
  return {
    newFindings: findings.new,
    changedFindings: findings.changed,
    openFindings: findings.open,
    resolvedFindings: findings.resolved,
    incomplete: !summary.complete,
    serversUnreachable: summary.serversUnreachable,
  };
}
