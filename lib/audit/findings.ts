import { createHash } from 'node:crypto';
import type { Finding } from './types';

/** A list in an event or a state item holds at most this many entries; the rest is counted. */
export const MAX_LISTED = 50;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** The server a finding is about, as state items and reports name it: `engine://host:port`. */
export const serverKeyOf = (where: { engine: string; host: string; port: number }) =>
  `${where.engine}://${where.host.toLowerCase()}:${where.port}`;

/**
 * Which finding this is, whatever it holds now: one per (secret, login, kind), or per
 * (server, kind) for a server-wide one. The same drift found twice has the same id.
 */
export function findingId(finding: Finding): string {
  const scope = finding.secretArn ?? serverKeyOf(finding);
  return sha256(`${finding.kind}\n${scope}\n${finding.login ?? ''}`);
}

/**
 * What the finding holds: its sorted expected and found lists. Notes, dates and reasons are
 * left out, so the fingerprint changes only when the drift does.
 */
export function fingerprint(finding: Finding): string {
  const sorted = (list: string[]) => [...new Set(list)].sort();
  return sha256(
    JSON.stringify({ kind: finding.kind, expected: sorted(finding.expected), found: sorted(finding.found) }),
  );
}

/** The first `MAX_LISTED` entries of a sorted list, and whether any were left out. */
export function truncated(list: string[]): { items: string[]; truncated: boolean } {
  const sorted = [...new Set(list)].sort();
  return { items: sorted.slice(0, MAX_LISTED), truncated: sorted.length > MAX_LISTED };
}

/** Counts of findings by kind, for the run's summary and its metrics. */
export function countByKind(findings: Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const finding of findings) counts[finding.kind] = (counts[finding.kind] ?? 0) + 1;
  return counts;
}
