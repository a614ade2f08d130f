import { completedDetail, driftDetail } from '../../../lib/audit/publish';
import type { AuditSummary } from '../../../lib/audit/report';
import { audited } from './fixtures';

const PASSWORD = 'planted-Pa55word-in-a-fixture';

const summary: AuditSummary = {
  trigger: 'schedule',
  startedAt: '2026-12-05T04:00:00.000Z',
  durationMs: 1400,
  complete: true,
  servers: 1,
  serversUnreachable: 0,
  secrets: 2,
  checked: 2,
  skipped: { rotating: 0, deadline: 0 },
  findings: { open: 1, new: 1, changed: 0, resolved: 0, repaired: 0 },
  byKind: { 'grant-extra': 1 },
  secretsManagerCalls: 3,
  connections: 2,
  unpublished: 0,
};

describe('event details', () => {
  it('puts the finding in Drift Detected field by field, and nothing a finding object carries beyond them', () => {
    // A finding that, against the contract, drags a password along (as a driver error might).
    const leaky = Object.assign(audited({ note: 'a note' }), {
      password: PASSWORD,
      cause: { sql: `ALTER ROLE x PASSWORD '${PASSWORD}'` },
      value: { username: 'orders_app', password: PASSWORD },
    });
    const detail = driftDetail(leaky, 'audit-1');
    const json = JSON.stringify(detail);
    expect(json).not.toContain(PASSWORD);
    expect(detail).toEqual({
      auditId: 'audit-1',
      findingId: '0123456789abcdef',
      fingerprint: 'fedcba9876543210',
      status: 'new',
      kind: 'grant-extra',
      secretArn: leaky.secretArn,
      engine: 'postgres',
      host: 'db-1.example',
      port: 5432,
      database: 'app',
      user: 'orders_app',
      login: 'user',
      expected: ['SELECT on public.orders'],
      found: ['INSERT on public.orders'],
      note: 'a note',
      firstSeen: '2026-12-01T00:00:00.000Z',
      repair: 'report',
    });
  });

  it('marks a cut list as truncated', () => {
    const found = Array.from({ length: 51 }, (_, i) => `SELECT on public.t${i}`);
    const detail = driftDetail(audited({ found }), 'audit-1');
    expect({ listed: (detail.found as string[]).length, truncated: detail.truncated }).toEqual({
      listed: 50,
      truncated: true,
    });
  });

  it('makes Audit Completed of counts only', () => {
    const leaky = Object.assign({ ...summary }, { secret: PASSWORD });
    const detail = completedDetail('audit-1', leaky);
    expect(JSON.stringify(detail)).not.toContain(PASSWORD);
    expect(detail).toMatchObject({
      auditId: 'audit-1',
      trigger: 'schedule',
      complete: true,
      findings: summary.findings,
    });
    expect(Object.keys(detail)).not.toContain('secretArn');
  });
});
