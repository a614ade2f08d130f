import './support/env';
import { randomUUID } from 'node:crypto';
import { makeSecretsManagerClient } from '../../lib/aws/clients';
import type { RotationStep } from '../../lib/rotation/event';
import { secretStore } from './support/aws';
import { OutputCapture, scanEachTest } from './support/capture';
import { TEST_DATABASES, type TestDatabase, type TestMaster } from './support/databases';
import { lambdaContext } from './support/deps';
import { testEnv } from './support/env';
import { EventQueue } from './support/event-queue';
import { FaultProxy } from './support/fault-proxy';
import { HoldingHttpProxy } from './support/holding-http-proxy';
import { createRotatableUser, logsIn, rotateDeps, rotateHandler, secretAt } from './support/rotation';

/** The invocation's time in these tests, and the part of it kept for reporting a failure. */
const REMAINING_MS = 6000;
const MARGIN_MS = 2000;

/** What a client sends first to close its connection (PostgreSQL Terminate, MySQL COM_QUIT). */
const goodbye = (db: TestDatabase) =>
  db.family === 'postgresql' ? Buffer.from([0x58, 0, 0, 0, 4]) : Buffer.from([1, 0, 0, 0, 1]);
/** Text of every statement that sets a password. */
const passwordStatement = (db: TestDatabase) => (db.family === 'postgresql' ? 'PASSWORD' : 'IDENTIFIED');

async function timed<T>(work: Promise<T>): Promise<{ ms: number; error?: Error; value?: T }> {
  const started = Date.now();
  try {
    const value = await work;
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error: error as Error };
  }
}

describe.each(TEST_DATABASES)('a rotation step ends within its deadline on $name', (db) => {
  const proxy = new FaultProxy({ host: db.host, port: db.port });
  const output = new OutputCapture();
  const passwords: string[] = [];
  let master: TestMaster;
  const handler = rotateHandler(
    rotateDeps({
      env: { DBAUTH_DEADLINE_MARGIN_MS: String(MARGIN_MS), DBAUTH_STATEMENT_TIMEOUT_MS: '20000' },
    }),
  );
  const step = (secretArn: string, Step: RotationStep, token: string) =>
    handler({ Step, SecretId: secretArn, ClientRequestToken: token }, lambdaContext(REMAINING_MS));

  beforeAll(async () => {
    master = await db.createMaster();
    passwords.push(master.password);
    await proxy.start();
  });
  afterEach(() => proxy.revive());
  afterAll(() => proxy.stop());
  scanEachTest(output, () => passwords);

  async function finishAndCheck(secretArn: string, token: string, steps: RotationStep[]) {
    for (const next of steps) await step(secretArn, next, token);
    const current = await secretAt(secretArn, 'AWSCURRENT');
    passwords.push(current.password.reveal());
    expect(await logsIn(current, master.database)).toBe(true);
  }

  it.each([
    ['at connect', () => proxy.stall()],
    ['in the middle of a statement', () => proxy.stall(passwordStatement(db))],
  ])(
    'fails cleanly when the network stalls %s, leaves no connection, and the retry completes',
    async (_, stall) => {
      const user = await createRotatableUser(master, { strategy: 'alternating', db, port: proxy.port });
      passwords.push(user.password);
      const token = randomUUID();
      await step(user.secretArn, 'createSecret', token);
      passwords.push((await secretAt(user.secretArn, 'AWSPENDING')).password.reveal());
      stall();

      const stalled = await timed(step(user.secretArn, 'setSecret', token));

      expect(stalled.error?.message).toMatch(/did not finish within|no answer within/);
      expect(stalled.ms).toBeLessThan(REMAINING_MS - 500);
      // The sessions of the failed step closed their sockets: nothing is left open to land later.
      for (let waited = 0; proxy.open > 0 && waited < 2000; waited += 50)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(proxy.open).toBe(0);
      proxy.revive();
      await finishAndCheck(user.secretArn, token, ['setSecret', 'testSecret', 'finishSecret']);
    },
  );

  it('finishes a step whose connection stalls as it closes', async () => {
    const user = await createRotatableUser(master, { strategy: 'alternating', db, port: proxy.port });
    passwords.push(user.password);
    const token = randomUUID();
    await step(user.secretArn, 'createSecret', token);
    proxy.stall(goodbye(db));

    const closing = await timed(step(user.secretArn, 'setSecret', token));

    expect(closing.error).toBeUndefined();
    expect(closing.value?.outcome).toBe('done');
    expect(closing.ms).toBeLessThan(REMAINING_MS - MARGIN_MS);
    proxy.revive();
    await finishAndCheck(user.secretArn, token, ['testSecret', 'finishSecret']);
  });

  it('stops a password change that waits on a lock, and the change never lands later', async () => {
    const quick = rotateHandler(rotateDeps({ env: { DBAUTH_STATEMENT_TIMEOUT_MS: '1500' } }));
    const user = await createRotatableUser(master, { strategy: 'single', db, withMaster: false });
    passwords.push(user.password);
    const token = randomUUID();
    const event = (Step: RotationStep) => ({ Step, SecretId: user.secretArn, ClientRequestToken: token });
    await quick(event('createSecret'), lambdaContext(30_000));
    const pending = await secretAt(user.secretArn, 'AWSPENDING');
    passwords.push(pending.password.reveal());
    const admin = { user: db.adminUser, password: adminPassword(db), database: master.database };

    const blocked = await db.withConnection(admin, async (query) => {
      // A backup's global read lock on MariaDB; an open change of the same role on PostgreSQL.
      if (db.family === 'postgresql') {
        await query('BEGIN');
        await query(`ALTER ROLE ${user.username} CONNECTION LIMIT 50`);
      } else await query('FLUSH TABLES WITH READ LOCK');
      const running = timed(quick(event('setSecret'), lambdaContext(30_000)));
      const seen = await statementsWhileBlocked(db, query);
      const outcome = await running;
      await query(db.family === 'postgresql' ? 'ROLLBACK' : 'UNLOCK TABLES');
      return { ...outcome, seen };
    });

    expect(blocked.error?.message).toMatch(/lock|server stopped it/);
    expect(blocked.ms).toBeLessThan(10_000);
    // What another session sees of the blocked statement: the statement, and no password in it.
    expect(blocked.seen.join('\n')).toMatch(db.family === 'postgresql' ? /ALTER ROLE/ : /SET PASSWORD/);
    expect(blocked.seen.join('\n')).not.toContain(pending.password.reveal());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await logsIn(pending, master.database)).toBe(false);
    const current = await secretAt(user.secretArn, 'AWSCURRENT');
    expect(await logsIn(current, master.database)).toBe(true);
  });
});

/** The text of the password statement dbauth is blocked in, as the server shows it to others. */
async function statementsWhileBlocked(
  db: TestDatabase,
  query: (sql: string) => Promise<unknown>,
): Promise<string[]> {
  const sql =
    db.family === 'postgresql'
      ? `SELECT query AS text FROM pg_stat_activity WHERE application_name = 'dbauth' AND query ILIKE '%PASSWORD%'`
      : `SELECT INFO AS text FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE '%PASSWORD%'`;
  for (let tries = 0; tries < 40; tries += 1) {
    // The sampling session holds the lock in a transaction, which would keep one snapshot of the stats.
    if (db.family === 'postgresql') await query('SELECT pg_stat_clear_snapshot()');
    const rows = (await query(sql)) as { text: string }[];
    if (rows.length > 0) return rows.map((row) => row.text);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [];
}

const adminPassword = (db: TestDatabase) =>
  db.family === 'postgresql' ? testEnv.pg.adminPassword : testEnv.mariadb.adminPassword;

describe('a rotation step whose Secrets Manager call is never answered', () => {
  const proxy = new HoldingHttpProxy(new URL(testEnv.aws.endpoint));
  const events = new EventQueue();

  beforeAll(async () => {
    await proxy.start();
    await events.start();
  });
  afterAll(() => proxy.stop());
  const passwords: string[] = [];
  scanEachTest(
    new OutputCapture(),
    () => passwords,
    () => events.everyEvent(),
  );

  it('fails within its deadline, saying so, and reports Rotation Failed', async () => {
    const [db] = TEST_DATABASES;
    if (!db) throw new Error('no test database');
    const master = await db.createMaster();
    const user = await createRotatableUser(master, { strategy: 'single', db });
    passwords.push(master.password, user.password);
    const store = secretStore(
      makeSecretsManagerClient({ endpoint: proxy.endpoint, region: testEnv.aws.region }),
    );
    const handler = rotateHandler({
      ...rotateDeps({ env: { DBAUTH_DEADLINE_MARGIN_MS: String(MARGIN_MS) }, busName: events.busName }),
      store,
    });
    proxy.holding = 'secretsmanager.DescribeSecret';

    const held = await timed(
      handler(
        { Step: 'createSecret', SecretId: user.secretArn, ClientRequestToken: randomUUID() },
        lambdaContext(REMAINING_MS),
      ),
    );

    expect(proxy.heldCount).toBeGreaterThan(0);
    expect(held.error?.message).toMatch(/rotation step createSecret did not finish within the \d+ ms left/);
    expect(held.ms).toBeLessThan(REMAINING_MS - 500);
    const failed = (await events.drain()).filter((event) => event['detail-type'] === 'Rotation Failed');
    expect(failed.map((event) => event.detail)).toEqual([
      expect.objectContaining({
        secretArn: user.secretArn,
        step: 'createSecret',
        reason: held.error?.message,
      }),
    ]);
  });
});
