import { exitCodeOf, renderTable, secretNameOf } from '../../../lib/audit/render';
import type { AuditReport } from '../../../lib/audit/report';
import { SECRET_ARN, audited } from './fixtures';

function report(overrides: Partial<AuditReport> = {}): AuditReport {
  return {
    auditId: 'a',
    complete: true,
    servers: [
      {
        engine: 'postgres',
        host: 'db-1.example',
        port: 5432,
        masterArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dbauth/masters/main-XyZ123',
        durationMs: 1400,
        findings: [audited({ kind: 'orphan-clone', secretArn: undefined, found: ['billing_clone'] })],
        users: [
          {
            secretArn: SECRET_ARN,
            user: 'orders_app',
            strategy: 'alternating',
            lastRotated: '2026-11-30T04:12Z',
            nextRotation: '2026-12-30',
            findings: [],
          },
          {
            secretArn: `${SECRET_ARN}2`,
            user: 'billing',
            strategy: 'single',
            nextRotation: '~2026-12-29',
            findings: [
              audited({
                found: ['INSERT on public.invoices', 'DELETE on public.invoices', 'UPDATE on public.x'],
              }),
              audited({ kind: 'rotation-overdue', found: ['never rotated'] }),
            ],
          },
        ],
      },
    ],
    unchecked: [],
    warnings: ['tag dbauth:on-drift of x is neither report nor repair: reported only'],
    summary: {
      trigger: 'on-demand',
      startedAt: '',
      durationMs: 1,
      complete: true,
      servers: 1,
      serversUnreachable: 0,
      secrets: 2,
      checked: 2,
      skipped: { rotating: 0, deadline: 0 },
      findings: { open: 3, new: 3, changed: 0, resolved: 0, repaired: 0 },
      byKind: {},
      secretsManagerCalls: 2,
      connections: 2,
      unpublished: 0,
    },
    ...overrides,
  };
}

describe('rendering the report', () => {
  it('prints a block per server: header, a row per user, its server-wide findings', () => {
    const lines = renderTable(report(), 200).split('\n');
    expect(lines[0]).toBe(
      'postgres db-1.example:5432  master dbauth/masters/main  2 users  1 with findings  1.4 s',
    );
    expect(lines[1]).toMatch(/^USER +STRATEGY +LAST ROTATION +NEXT ROTATION +FINDINGS$/);
    expect(lines[2]).toMatch(/^orders_app +alternating +2026-11-30 04:12 +2026-12-30 +ok$/);
    expect(lines[3]).toMatch(
      /^billing +single +- +~2026-12-29 LATE +grant-extra: INSERT on public.invoices \(\+2\); rotation-overdue: never rotated$/,
    );
    expect(lines[4]).toBe('(server) orphan-clone: billing_clone');
    expect(lines).toContain('warning: tag dbauth:on-drift of x is neither report nor repair: reported only');
  });

  it('cuts every line to the width', () => {
    const lines = renderTable(report(), 40).split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(40);
    expect(lines[3]).toMatch(/…$/);
  });

  it('exits 0 clean, 1 with findings, 2 incomplete', () => {
    const clean = report();
    clean.summary = { ...clean.summary, findings: { ...clean.summary.findings, open: 0 } };
    expect([exitCodeOf(clean), exitCodeOf(report()), exitCodeOf(report({ complete: false }))]).toEqual([
      0, 1, 2,
    ]);
  });

  it('names a secret without its random suffix', () => {
    expect(secretNameOf(SECRET_ARN)).toBe('dbauth/orders/app');
    expect(secretNameOf('plain-name')).toBe('plain-name');
  });
});
