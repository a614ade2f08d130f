import './support/env';
import { randomBytes } from 'node:crypto';
import { makeHandler } from '../../handlers/audit';
import { InvalidAuditRequestError } from '../../lib/audit/errors';
import { runAudit, type AuditOptions, type AuditServer } from '../../lib/audit/run';
import type { Finding } from '../../lib/audit/types';
import { InvalidInputError } from '../../lib/errors';
import { putSecret } from './support/aws';
import {
  attachRotation,
  auditDeps,
  auditTable,
  cancelRotation,
  consentingMaster,
  loginReadingServers,
  managedSecret,
  newSeen,
  putVersion,
  reportingServers,
  type ManagedTestSecret,
} from './support/audit';
import { OutputCapture, scanEachTest } from './support/capture';
import { customResourceHandler, emfMetrics, lambdaContext } from './support/deps';
import { emfDocuments } from '../support/emf';
import { EventQueue } from './support/event-queue';
import { motoRotationFunctionArn } from './support/lambda';
import { uniqueSuffix } from './support/postgres';
import { CfnResponseServer } from './support/cfn-server';
import { cfnEvent, testStackId } from './support/cfn-events';
import { postgres } from './support/databases';
import { rotate, secretAt } from './support/rotation';

const DAY = 86_400_000;
const output = new OutputCapture();
const events = new EventQueue();
const passwords: string[] = [];
let rotationArn = '';

const run = (overrides: Partial<AuditOptions> = {}): AuditOptions => ({
  trigger: 'schedule',
  repair: false,
  publish: true,
  budgetMs: 30_000,
  ...overrides,
});

/** A prefix of this test's own, so the audit lists only its secrets among everything moto holds. */
const newPrefix = () => `dbauth/test/audit-${uniqueSuffix()}/`;

async function secretsUnder(prefix: string, count: number, extra: Parameters<typeof managedSecret>[2] = {}) {
  const made: ManagedTestSecret[] = [];
  for (let i = 0; i < count; i += 1) made.push(await managedSecret(prefix, rotationArn, extra));
  passwords.push(...made.map((s) => s.password));
  return made;
}

/** The Drift Detected and Audit Completed events that arrived since the last call. */
async function published() {
  const drained = await events.drain();
  return {
    drift: drained.filter((e) => e['detail-type'] === 'Drift Detected').map((e) => e.detail),
    completed: drained.filter((e) => e['detail-type'] === 'Audit Completed').map((e) => e.detail),
  };
}

const kindsBySecret = (findings: { secretArn?: string; kind: string }[]) =>
  findings.map((f) => `${f.secretArn ?? 'server'} ${f.kind}`).sort();

beforeAll(async () => {
  rotationArn = await motoRotationFunctionArn();
  await events.start();
});

describe('the drift audit against moto (Secrets Manager, DynamoDB, EventBridge)', () => {
  scanEachTest(
    output,
    () => passwords,
    () => events.everyEvent(),
  );

  it('finds nothing on untouched secrets, groups them by server and master, and reads the logins lazily', async () => {
    const prefix = newPrefix();
    const table = await auditTable();
    const singles = await secretsUnder(prefix, 2);
    const otherMaster = await secretsUnder(prefix, 1, {
      master: await consentingMaster('other'),
    });
    const [fresh] = await secretsUnder(prefix, 1, { strategy: 'alternating' });
    // An alternating secret rotated once: AWSCURRENT is the clone, AWSPREVIOUS the user. Rotation
    // is attached afterwards: moto's RotateSecret stages a copy of the AWSCURRENT of that moment.
    const rotated = await managedSecret(prefix, undefined, { strategy: 'alternating' });
    passwords.push(rotated.password);
    const clonePassword = `audit-pw-${randomBytes(12).toString('hex')}`;
    passwords.push(clonePassword);
    await putVersion(
      rotated.arn,
      {
        engine: 'postgres',
        host: 'db-1.test',
        port: 5432,
        username: `${rotated.username}_clone`,
        password: clonePassword,
        dbname: 'app',
        masterarn: await consentingMaster(),
      },
      ['AWSCURRENT'],
    );
    await attachRotation(rotated.arn, rotationArn);
    const seen = newSeen();

    const report = await runAudit(
      run(),
      auditDeps(prefix, table, rotationArn, { busName: events.busName }),
      loginReadingServers(seen),
    );

    expect({
      open: report.summary.findings.open,
      byKind: report.summary.byKind,
      complete: report.complete,
    }).toEqual({ open: 0, byKind: {}, complete: true });
    expect(report.summary).toMatchObject({
      secrets: 5,
      checked: 5,
      servers: 2,
      skipped: { rotating: 0, deadline: 0 },
    });
    expect(seen.targets.map((t) => t.declarations.length).sort()).toEqual([1, 4]);
    expect(seen.logins[singles[0]!.arn]).toEqual([`AWSCURRENT:${singles[0]!.username}`]);
    expect(seen.logins[otherMaster[0]!.arn]).toEqual([`AWSCURRENT:${otherMaster[0]!.username}`]);
    expect(seen.logins[fresh!.arn]).toEqual([`AWSCURRENT:${fresh!.username}`]);
    expect(seen.logins[rotated.arn]).toEqual([
      `AWSCURRENT:${rotated.username}_clone`,
      `AWSPREVIOUS:${rotated.username}`,
    ]);
    const { drift, completed } = await published();
    expect(drift).toEqual([]);
    expect(completed).toEqual([
      expect.objectContaining({
        trigger: 'schedule',
        complete: true,
        secrets: 5,
        findings: expect.objectContaining({ open: 0, new: 0 }),
      }),
    ]);
    expect(report.summary.secretsManagerCalls).toBeGreaterThanOrEqual(2);
  });

  it('reads a user made by the custom resource and rotated twice as it declares itself: no finding, both logins of the pair', async () => {
    const prefix = newPrefix();
    const master = await postgres.createMaster();
    passwords.push(master.password);
    const masterArn = await postgres.putMasterSecret(master);
    const username = `audited_${uniqueSuffix()}`;
    const server = new CfnResponseServer();
    await server.start();
    try {
      const properties = {
        MasterSecretArn: masterArn,
        Username: username,
        Database: master.database,
        Grants: 'readwrite',
        SecretName: `${prefix}orders`,
        Rotation: { Strategy: 'alternating', AutomaticallyAfterDays: '30' },
      };
      const created = await customResourceHandler({ rotationLambdaArn: rotationArn })(
        cfnEvent('Create', server, { properties, stackId: testStackId('audit') }),
        lambdaContext(),
      );
      expect(created.Status).toBe('SUCCESS');
      const secretArn = created.Data?.SecretArn ?? '';
      for (let round = 0; round < 2; round += 1) {
        await rotate(secretArn);
        passwords.push((await secretAt(secretArn, 'AWSCURRENT')).password.reveal());
      }
      const seen = newSeen();

      const report = await runAudit(
        run({ publish: false }),
        auditDeps(prefix, await auditTable(), rotationArn),
        loginReadingServers(seen),
      );

      expect(report.summary.findings.open).toBe(0);
      expect(
        seen.targets.map((t) => [
          t.masterArn,
          t.declarations.map((d) => [d.user, d.clone, d.strategy, d.grants.privileges]),
        ]),
      ).toEqual([
        [
          masterArn,
          [[username, `${username}_clone`, 'alternating', ['DELETE', 'INSERT', 'SELECT', 'UPDATE']]],
        ],
      ]);
      // Rotated twice: AWSCURRENT is the user again, AWSPREVIOUS the clone.
      expect(seen.logins[secretArn]).toEqual([`AWSCURRENT:${username}`, `AWSPREVIOUS:${username}_clone`]);
      expect(report.servers[0]?.users[0]).toMatchObject({
        user: username,
        strategy: 'alternating',
        nextRotation: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
    } finally {
      await server.stop();
    }
  });

  it('reports each rotation drift alone: disabled, overdue by the clock, stuck pending, and a secret rotating now is skipped', async () => {
    const prefix = newPrefix();
    const table = await auditTable();
    const [disabled, stuck, clean] = await secretsUnder(prefix, 3);
    await cancelRotation(disabled!.arn);
    const pendingPassword = `audit-pw-${randomBytes(12).toString('hex')}`;
    passwords.push(pendingPassword);
    const pendingId = await putVersion(
      stuck!.arn,
      {
        engine: 'postgres',
        host: 'db-1.test',
        port: 5432,
        username: stuck!.username,
        password: pendingPassword,
      },
      ['AWSPENDING'],
    );
    const seen = newSeen();
    let now = new Date();
    const deps = auditDeps(prefix, table, rotationArn, { busName: events.busName, clock: () => now });

    const rotatingNow = await runAudit(run({ publish: false }), deps, loginReadingServers(seen));
    now = new Date(Date.now() + 2 * 3_600_000);
    const twoHoursLater = await runAudit(run({ publish: false }), deps, loginReadingServers(newSeen()));
    now = new Date(Date.now() + 40 * DAY);
    const fortyDaysLater = await runAudit(run({ publish: false }), deps, loginReadingServers(newSeen()));

    const all = (r: typeof rotatingNow) =>
      r.servers.flatMap((s) => [...s.findings, ...s.users.flatMap((u) => u.findings)]);
    expect(kindsBySecret(all(rotatingNow))).toEqual([`${disabled!.arn} rotation-disabled`]);
    expect(rotatingNow.summary.skipped.rotating).toBe(1);
    expect(seen.targets.flatMap((t) => t.declarations.map((d) => d.secretArn))).not.toContain(stuck!.arn);
    expect(all(twoHoursLater).map((f) => [f.secretArn, f.kind, f.found])).toEqual(
      expect.arrayContaining([[stuck!.arn, 'rotation-pending', [`AWSPENDING on version ${pendingId}`]]]),
    );
    expect(kindsBySecret(all(twoHoursLater))).toEqual(
      [`${disabled!.arn} rotation-disabled`, `${stuck!.arn} rotation-pending`].sort(),
    );
    expect(kindsBySecret(all(fortyDaysLater))).toEqual(
      [
        `${disabled!.arn} rotation-disabled`,
        `${stuck!.arn} rotation-pending`,
        `${stuck!.arn} rotation-overdue`,
        `${clean!.arn} rotation-overdue`,
      ].sort(),
    );
    expect(await published()).toEqual({ drift: [], completed: [] });
  });

  it("reports rotation by another function than this deployment's", async () => {
    const prefix = newPrefix();
    const [secret] = await secretsUnder(prefix, 1);
    const ours = 'arn:aws:lambda:us-east-1:123456789012:function:dbauth-prod-rotate';
    const report = await runAudit(
      run({ publish: false }),
      auditDeps(prefix, await auditTable(), ours),
      loginReadingServers(newSeen()),
    );
    expect(
      report.servers
        .flatMap((s) => s.users.flatMap((u) => u.findings))
        .map((f) => [f.secretArn, f.kind, f.expected, f.found]),
    ).toEqual([[secret!.arn, 'rotation-foreign-function', [ours], [rotationArn]]]);
  });

  it('publishes a finding once, again only when it changes, and resolves it when it is fixed', async () => {
    const prefix = newPrefix();
    const table = await auditTable();
    const [first, second] = await secretsUnder(prefix, 2);
    await cancelRotation(first!.arn);
    const pendingPassword = () => {
      const p = `audit-pw-${randomBytes(12).toString('hex')}`;
      passwords.push(p);
      return p;
    };
    await putVersion(
      second!.arn,
      {
        engine: 'postgres',
        host: 'db-1.test',
        port: 5432,
        username: second!.username,
        password: pendingPassword(),
      },
      ['AWSPENDING'],
    );
    const later = () => new Date(Date.now() + 2 * 3_600_000);
    const deps = auditDeps(prefix, table, rotationArn, { busName: events.busName, clock: later });
    const audit = () => runAudit(run(), deps, loginReadingServers(newSeen()));

    // Two runs at once: the conditional claim lets one of them publish each finding.
    const [a, b] = await Promise.all([audit(), audit()]);
    const firstRun = await published();
    expect(firstRun.drift.map((d) => [d.secretArn, d.kind, d.status]).sort()).toEqual(
      [
        [first!.arn, 'rotation-disabled', 'new'],
        [second!.arn, 'rotation-pending', 'new'],
      ].sort(),
    );
    expect(firstRun.completed).toHaveLength(2);
    expect(a.summary.findings.open + b.summary.findings.open).toBe(4);

    const again = await audit();
    expect((await published()).drift).toEqual([]);
    expect(again.summary.findings).toMatchObject({ open: 2, new: 0, changed: 0, resolved: 0 });

    // Another stuck version: same finding, new content.
    const newPending = await putVersion(
      second!.arn,
      {
        engine: 'postgres',
        host: 'db-1.test',
        port: 5432,
        username: second!.username,
        password: pendingPassword(),
      },
      ['AWSPENDING'],
    );
    const changed = await audit();
    expect((await published()).drift).toEqual([
      expect.objectContaining({
        secretArn: second!.arn,
        kind: 'rotation-pending',
        status: 'changed',
        found: [`AWSPENDING on version ${newPending}`],
      }),
    ]);
    expect(changed.summary.findings).toMatchObject({ changed: 1, new: 0 });

    await attachRotation(first!.arn, rotationArn);
    const fixed = await audit();
    expect(fixed.summary.findings).toMatchObject({ open: 1, resolved: 1, new: 0, changed: 0 });
    expect((await published()).drift).toEqual([]);
  });

  it('undoes the claim of a finding whose event could not be published, so the next run publishes it', async () => {
    const prefix = newPrefix();
    const table = await auditTable();
    const [secret] = await secretsUnder(prefix, 1);
    await cancelRotation(secret!.arn);
    const nowhere = auditDeps(prefix, table, rotationArn, { busName: `no-such-bus-${uniqueSuffix()}` });

    const failed = await runAudit(run(), nowhere, loginReadingServers(newSeen()));
    const retried = await runAudit(
      run(),
      auditDeps(prefix, table, rotationArn, { busName: events.busName }),
      loginReadingServers(newSeen()),
    );

    expect(failed.summary).toMatchObject({ unpublished: 1, findings: { new: 1 } });
    expect(retried.summary).toMatchObject({ unpublished: 0, findings: { new: 1 } });
    expect((await published()).drift).toEqual([
      expect.objectContaining({ secretArn: secret!.arn, kind: 'rotation-disabled', status: 'new' }),
    ]);
  });

  it('keeps database findings of secrets it could not check, and resolves server-wide ones only in a run over every secret', async () => {
    const prefix = newPrefix();
    const table = await auditTable();
    const [a, b] = await secretsUnder(prefix, 2);
    const deps = auditDeps(prefix, table, rotationArn, { busName: events.busName });
    const grantExtra = (arn: string): Finding => ({
      kind: 'grant-extra',
      secretArn: arn,
      engine: 'postgres',
      host: 'db-1.test',
      port: 5432,
      login: 'user',
      expected: ['SELECT on public.t'],
      found: ['INSERT on public.t'],
    });
    const orphan: Finding = {
      kind: 'orphan-clone',
      engine: 'postgres',
      host: 'db-1.test',
      port: 5432,
      expected: [],
      found: ['old_clone'],
    };
    const audit = (server: AuditServer, ids?: string[]) =>
      runAudit(run(ids ? { secretIds: ids } : {}), deps, server);

    await audit(reportingServers(() => [grantExtra(a!.arn), grantExtra(b!.arn), orphan]));
    expect((await published()).drift.map((d) => [d.kind, d.secretArn ?? 'server', d.status]).sort()).toEqual(
      [
        ['grant-extra', a!.arn, 'new'],
        ['grant-extra', b!.arn, 'new'],
        ['orphan-clone', 'server', 'new'],
      ].sort(),
    );

    // b's server could not be checked: its finding stays open; a's is gone, and resolved. A run
    // over some secrets does not resolve the server-wide orphan it could not have seen.
    const partly = await audit(
      reportingServers(() => [], new Set([b!.arn])),
      [a!.arn, b!.arn],
    );
    expect(partly.summary.findings).toMatchObject({ open: 0, resolved: 1 });
    expect(partly.unchecked).toEqual([{ secretArn: b!.arn, reason: 'server-unreachable' }]);

    const everything = await audit(reportingServers(() => [grantExtra(b!.arn)]));
    expect(everything.summary.findings).toMatchObject({ open: 1, new: 0, changed: 0, resolved: 1 });
    expect((await published()).drift).toEqual([]);
  });

  it('drops the database findings of a secret that changed during the run, and leaves them to the next run', async () => {
    const prefix = newPrefix();
    const [secret] = await secretsUnder(prefix, 1);
    const newPassword = `audit-pw-${randomBytes(12).toString('hex')}`;
    passwords.push(newPassword);
    // The secret's AWSCURRENT moves while its server is being audited (an Update, a rotation).
    const moving: AuditServer = async () => {
      await putVersion(
        secret!.arn,
        {
          engine: 'postgres',
          host: 'db-1.test',
          port: 5432,
          username: secret!.username,
          password: newPassword,
          dbname: 'app',
        },
        ['AWSCURRENT'],
      );
      return {
        findings: [
          {
            kind: 'password-mismatch',
            secretArn: secret!.arn,
            engine: 'postgres',
            host: 'db-1.test',
            port: 5432,
            login: 'user',
            expected: ['AWSCURRENT logs in'],
            found: ['refused'],
          },
        ],
        checked: [secret!.arn],
        unchecked: [],
        peakConnections: 1,
      };
    };

    const report = await runAudit(
      run({ publish: false }),
      auditDeps(prefix, await auditTable(), rotationArn),
      moving,
    );

    expect(report.summary.findings.open).toBe(0);
    expect(report.unchecked).toEqual([{ secretArn: secret!.arn, reason: 'changed during the audit' }]);
  });

  it('reports a managed secret it cannot read or that declares no master, and audits only the secrets named', async () => {
    const prefix = newPrefix();
    const table = await auditTable();
    const [named] = await secretsUnder(prefix, 1);
    const notJson = await putSecret(
      'not json' as unknown as Record<string, unknown>,
      { 'dbauth:managed-by': 'tags', 'dbauth:rotation': 'off' },
      `${prefix}garbled`,
    );
    const noMasterPassword = `audit-pw-${randomBytes(12).toString('hex')}`;
    passwords.push(noMasterPassword);
    const noMaster = await putSecret(
      { engine: 'postgres', host: 'db-1.test', port: 5432, username: 'lonely', password: noMasterPassword },
      { 'dbauth:managed-by': 'tags', 'dbauth:rotation': 'off' },
      `${prefix}lonely`,
    );
    const unmanaged = await putSecret({ username: 'x' }, {}, `${prefix}unmanaged`);
    const deps = auditDeps(prefix, table, rotationArn);

    const everything = await runAudit(run({ publish: false }), deps, loginReadingServers(newSeen()));
    const some = await runAudit(
      run({ publish: false, secretIds: [named!.arn, unmanaged, `${prefix}missing`] }),
      deps,
      loginReadingServers(newSeen()),
    );

    const findings = everything.servers.flatMap((s) => s.users.flatMap((u) => u.findings));
    expect(findings.map((f) => [f.secretArn, f.kind]).sort()).toEqual(
      [
        [noMaster, 'secret-unreadable'],
        [notJson, 'secret-unreadable'],
      ].sort(),
    );
    expect(findings.find((f) => f.secretArn === noMaster)?.note).toContain('names no master');
    expect(some.summary.secrets).toBe(1);
    expect(some.warnings).toEqual([
      expect.stringContaining(`${unmanaged} is not managed by dbauth`),
      expect.stringContaining(`${prefix}missing was not found`),
    ]);
  });

  it('stops at the deadline: servers not reached are named, the run is incomplete, their state is kept', async () => {
    const prefix = newPrefix();
    const [a] = await secretsUnder(prefix, 1, { host: 'db-a.test' });
    const [b] = await secretsUnder(prefix, 1, { host: 'db-b.test' });
    const deps = auditDeps(prefix, await auditTable(), rotationArn, {
      env: { DBAUTH_AUDIT_SERVER_CONCURRENCY: '1' },
    });
    const started = Date.now();

    const report = await runAudit(
      run({ publish: false, budgetMs: 1500 }),
      deps,
      loginReadingServers(newSeen(), 5000),
    );

    expect(Date.now() - started).toBeLessThan(5000);
    expect(report.complete).toBe(false);
    expect(report.unchecked.map((u) => [u.secretArn, u.reason]).sort()).toEqual(
      [
        [a!.arn, 'deadline'],
        [b!.arn, 'deadline'],
      ].sort(),
    );
    expect(report.summary.skipped.deadline).toBe(2);
  });
});

describe('handlers/audit.ts', () => {
  scanEachTest(
    output,
    () => passwords,
    () => events.everyEvent(),
  );

  it('runs on the schedule event, answers the report and prints its metrics', async () => {
    const prefix = newPrefix();
    const [secret] = await secretsUnder(prefix, 1);
    await cancelRotation(secret!.arn);
    const handler = makeHandler({
      ...auditDeps(prefix, await auditTable(), rotationArn, { busName: events.busName }),
      metrics: emfMetrics('dbauth/test-audit'),
      auditServer: loginReadingServers(newSeen()),
    });

    const report = await handler({ trigger: 'schedule' }, lambdaContext(60_000));

    expect(report.summary).toMatchObject({
      trigger: 'schedule',
      complete: true,
      findings: { open: 1, new: 1 },
    });
    const metrics = emfDocuments(output.text).find((doc) => 'AuditNewFindings' in doc);
    expect(metrics).toMatchObject({ AuditNewFindings: 1, AuditIncomplete: 0, AuditServersUnreachable: 0 });
    expect((await published()).drift).toEqual([
      expect.objectContaining({ secretArn: secret!.arn, kind: 'rotation-disabled' }),
    ]);
  });

  it('refuses an event it does not know as bad input, naming no value', async () => {
    const handler = makeHandler({
      ...auditDeps(newPrefix(), 'no-table', rotationArn),
      metrics: emfMetrics('dbauth/test-audit'),
      auditServer: loginReadingServers(newSeen()),
    });
    const failed = handler({ trigger: 'hourly', token: 'hunter22-secret' });
    await expect(failed).rejects.toBeInstanceOf(InvalidAuditRequestError);
    await expect(failed).rejects.toBeInstanceOf(InvalidInputError);
    expect(output.text).not.toContain('hunter22-secret');
    expect(output.text).toContain('audit failed');
  });
});
