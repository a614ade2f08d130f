import './support/env';
import { makeHandler } from '../../handlers/audit';
import type { AuditReport } from '../../lib/audit/report';
import { TAGS } from '../../lib/secrets/tags';
import { TEST_CONSENT, tagSecret } from './support/aws';
import { auditDeps, auditTable } from './support/audit';
import { storedHash } from './support/audit-fleet';
import { TEST_DATABASES } from './support/databases';
import { emfMetrics, lambdaContext } from './support/deps';
import { EventQueue } from './support/event-queue';
import { CustomResourceHarness } from './support/harness';
import { motoRotationFunctionArn } from './support/lambda';
import { uniqueSuffix } from './support/postgres';

const events = new EventQueue();

beforeAll(() => events.start());

/**
 * The audit as deployed: the handler with the real per-server audit, Secrets Manager, DynamoDB
 * and EventBridge on moto, users made by the custom resource on a real server.
 */
describe.each(TEST_DATABASES)('the audit function end to end on $name', (db) => {
  const h = new CustomResourceHarness('audit-e2e', db);
  const run = uniqueSuffix();
  const pg = db.family === 'postgresql';
  let handler: ReturnType<typeof makeHandler>;
  const arns: Record<'single' | 'pair', string> = { single: '', pair: '' };
  const names = { single: `es_${run}`, pair: `ea_${run}` };

  beforeAll(async () => {
    await h.setUp();
    const rotationLambdaArn = await motoRotationFunctionArn();
    await db.asMaster(h.master, db.itemsTable);
    for (const [key, strategy] of [
      ['single', 'single'],
      ['pair', 'alternating'],
    ] as const) {
      const response = await h.send('Create', {
        properties: h.props(names[key], {
          Grants: 'readonly',
          Rotation: { Strategy: strategy, AutomaticallyAfterDays: '30' },
        }),
        logicalResourceId: `E2e${key}`,
        deps: { rotationLambdaArn },
      });
      expect(response.Status).toBe('SUCCESS');
      arns[key] = response.Data?.SecretArn ?? '';
      await h.storedLogin(arns[key]);
    }
    handler = makeHandler({
      ...auditDeps(`dbauth/${h.stackName}/`, await auditTable(), rotationLambdaArn, {
        busName: events.busName,
      }),
      metrics: emfMetrics('dbauth/test-audit'),
    });
  });
  afterAll(() => h.tearDown());
  h.scanEachTest(() => events.everyEvent());

  const audit = (event: Record<string, unknown> = { trigger: 'schedule' }) =>
    handler(event, lambdaContext(120_000));
  const kinds = (report: AuditReport) =>
    report.servers
      .flatMap((server) => server.users.flatMap((user) => user.findings.map((f) => `${user.user} ${f.kind}`)))
      .sort();
  const driftEvents = async () =>
    (await events.drain())
      .filter((e) => e['detail-type'] === 'Drift Detected')
      .map((e) => `${String(e.detail.user)} ${String(e.detail.kind)}`)
      .sort();
  const hand = (name: string) =>
    pg ? `GRANT INSERT ON items TO ${name}` : `GRANT INSERT ON \`${h.master.database}\`.* TO '${name}'@'%'`;

  it('finds nothing on users as they were made, single and alternating', async () => {
    const report = await audit();
    expect(kinds(report)).toEqual([]);
    expect(report.summary).toMatchObject({ secrets: 2, checked: 2, complete: true, serversUnreachable: 0 });
    expect(report.summary.connections).toBeGreaterThanOrEqual(2);
    expect(await driftEvents()).toEqual([]);
  });

  it('publishes a grant added by hand once, and again only when it changes', async () => {
    await db.asMaster(h.master, hand(names.single));
    expect(kinds(await audit())).toEqual([`${names.single} grant-extra`]);
    expect(await driftEvents()).toEqual([`${names.single} grant-extra`]);

    expect(kinds(await audit())).toEqual([`${names.single} grant-extra`]);
    expect(await driftEvents()).toEqual([]);
  });

  it('leaves a secret alone once its master withdraws consent: master-consent-missing, not checked', async () => {
    await tagSecret(h.masterArn, { 'dbauth:allow-stacks': 'someone-else-' });
    try {
      const report = await audit();
      expect(report.unchecked.map((u) => u.reason)).toEqual([
        'the master does not consent',
        'the master does not consent',
      ]);
      expect(report.summary.connections).toBe(0);
      expect(await driftEvents()).toEqual(
        [`${names.pair} master-consent-missing`, `${names.single} master-consent-missing`].sort(),
      );
    } finally {
      await tagSecret(h.masterArn, TEST_CONSENT);
    }
  });

  it('repairs a secret tagged dbauth:on-drift=repair when asked, without touching its password, and the next audit is clean', async () => {
    await db.asMaster(h.master, hand(names.pair));
    await tagSecret(arns.pair, { [TAGS.onDrift]: 'repair' });
    const before = await storedHash(db, names.pair);

    const reported = await audit({ secretIds: [arns.single, arns.pair] });
    expect(kinds(reported)).toEqual([`${names.pair} grant-extra`, `${names.single} grant-extra`].sort());

    const repaired = await audit({ secretIds: [arns.single, arns.pair], repair: true });
    const repairs = repaired.servers.flatMap((s) =>
      s.users.flatMap((u) => u.findings.map((f) => `${u.user} ${f.repair ?? 'report'}`)),
    );
    expect(repairs.sort()).toEqual([`${names.pair} done`, `${names.single} report`].sort());

    expect(kinds(await audit())).toEqual([`${names.single} grant-extra`]);
    expect(await storedHash(db, names.pair)).toBe(before);
    await events.drain();
  });
  it('repairs nothing beyond what the master lends (dbauth:max-grants), and says why', async () => {
    await db.asMaster(h.master, hand(names.pair));
    await tagSecret(h.masterArn, { 'dbauth:max-grants': 'INSERT' });
    try {
      const report = await audit({ secretIds: [arns.pair], repair: true });
      const pair = report.servers.flatMap((s) => s.users).find((u) => u.user === names.pair);
      expect(pair?.findings.map((f) => `${f.kind} ${f.repair ?? 'report'}`)).toEqual(['grant-extra report']);
      expect(report.warnings).toEqual([expect.stringContaining('not repaired')]);
    } finally {
      await tagSecret(h.masterArn, TEST_CONSENT);
    }
    const repaired = await audit({ secretIds: [arns.pair], repair: true });
    expect(repaired.servers.flatMap((s) => s.users).flatMap((u) => u.findings.map((f) => f.repair))).toEqual([
      'done',
    ]);
    await events.drain();
  });
});
