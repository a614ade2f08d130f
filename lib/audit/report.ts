import type { Strategy } from '../secrets/tags';
import type { Finding } from './types';

/** A finding as a run reports it: with its identity, and whether it is news. */
export interface AuditedFinding extends Finding {
  findingId: string;
  fingerprint: string;
  /** `new` or `changed`: published (or, without publishing, would be); `open`: seen before, unchanged. */
  status: 'new' | 'changed' | 'open';
  firstSeen: string;
}

/** One managed secret's line in the report. */
export interface UserReport {
  secretArn: string;
  user?: string;
  strategy?: Strategy;
  /** ISO, to the minute; absent when never rotated. */
  lastRotated?: string;
  /** ISO date from NextRotationDate; `~` before a computed one; `off` when rotation is off. */
  nextRotation?: string;
  /** Why its database side was not checked this run (unreachable, deadline, rotating...). */
  unchecked?: string;
  findings: AuditedFinding[];
}

/** One server's block: its server-wide findings and its users. */
export interface ServerReport {
  engine: string;
  host: string;
  port: number;
  masterArn?: string;
  durationMs?: number;
  peakConnections?: number;
  findings: AuditedFinding[];
  users: UserReport[];
}

/** What one run counts; also the `Audit Completed` event's detail (with `auditId`). */
export interface AuditSummary {
  trigger: 'schedule' | 'on-demand';
  startedAt: string;
  durationMs: number;
  complete: boolean;
  servers: number;
  serversUnreachable: number;
  secrets: number;
  /** Secrets whose database side was checked. */
  checked: number;
  skipped: { rotating: number; deadline: number };
  findings: { open: number; new: number; changed: number; resolved: number; repaired: number };
  byKind: Record<string, number>;
  secretsManagerCalls: number;
  /** The most connections any one server had open at once. */
  connections: number;
  /** Events that could not be published (their claims were undone: the next run tries again). */
  unpublished: number;
}

/** What `runAudit` returns, the handler answers and `npm run audit -- --format json` prints. */
export interface AuditReport {
  auditId: string;
  complete: boolean;
  servers: ServerReport[];
  /** Secrets whose database side was not checked, and why. */
  unchecked: { secretArn: string; reason: string }[];
  warnings: string[];
  summary: AuditSummary;
}
