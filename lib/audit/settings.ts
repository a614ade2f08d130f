/** The drift audit's settings, from `DBAUTH_AUDIT_*` (serverless.yml sets them from the stage's params). */
export interface AuditSettings {
  /** Connections the audit may hold to one server at once, the master's included (>= 2). */
  maxConnections: number;
  /** Servers audited at the same time. */
  serverConcurrency: number;
  /** One server's share of the run, at most. */
  serverBudgetMs: number;
  /** Time kept at the end of an invocation for dedupe and publishing. */
  marginMs: number;
  /** An AWSPENDING younger than this is a rotation under way, not a stuck one. */
  pendingGraceMs: number;
  /** How late a scheduled rotation may be before it is overdue. */
  overdueGraceMs: number;
  /** `per-secret`: secrets tagged `dbauth:on-drift=repair` are repaired; `never`: nothing is. */
  repair: 'per-secret' | 'never';
  /** The DynamoDB table of open findings; none: the run keeps its state in memory (CLI, tests). */
  tableName?: string;
  /** Days a finding's state item lives after it was last seen. */
  stateTtlDays: number;
}

const HOUR = 3_600_000;

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const value = Number(env[name]);
  return Number.isInteger(value) && value >= min ? value : fallback;
}

export function auditSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AuditSettings {
  return {
    maxConnections: Math.max(2, int(env, 'DBAUTH_AUDIT_MAX_CONNECTIONS', 4)),
    serverConcurrency: int(env, 'DBAUTH_AUDIT_SERVER_CONCURRENCY', 4),
    serverBudgetMs: int(env, 'DBAUTH_AUDIT_SERVER_BUDGET_MS', 120_000),
    marginMs: int(env, 'DBAUTH_AUDIT_MARGIN_MS', 20_000),
    pendingGraceMs: int(env, 'DBAUTH_AUDIT_PENDING_GRACE_MS', HOUR),
    overdueGraceMs: int(env, 'DBAUTH_AUDIT_OVERDUE_GRACE_MS', 24 * HOUR),
    repair: env.DBAUTH_AUDIT_REPAIR === 'never' ? 'never' : 'per-secret',
    tableName: env.DBAUTH_AUDIT_TABLE || undefined,
    stateTtlDays: int(env, 'DBAUTH_AUDIT_STATE_TTL_DAYS', 30),
  };
}
