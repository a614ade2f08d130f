import './support/env';
import { makeHandler as makeSecretEventsHandler } from '../../handlers/secret-events';
import { makeSecretsManagerClient } from '../../lib/aws/clients';
import { putMaster, putSecret, secretStore } from './support/aws';
import { lambdaContext } from './support/deps';
import { testEnv } from './support/env';
import { HoldingHttpProxy } from './support/holding-http-proxy';
import { secretEvent, secretEventsDeps } from './support/secret-events';
import { TEST_DATABASES } from './support/databases';
import { CustomResourceHarness } from './support/harness';
import { uniqueSuffix } from './support/postgres';
import { SilentServer } from './support/silent-server';
import { SlowProxy } from './support/slow-proxy';

describe.each(TEST_DATABASES)(
  'Custom::DatabaseUser answers CloudFormation when the database hangs on $name',
  (db) => {
    const h = new CustomResourceHarness('timeouts', db);
    const silent = new SilentServer();
    const run = uniqueSuffix();

    beforeAll(async () => {
      await h.setUp();
      await silent.start();
    });
    afterAll(async () => {
      await silent.stop();
      await h.tearDown();
    });
    h.scanEachTest();

    // A master secret that names the hanging server: Host/Port may not point a master elsewhere.
    const masterAt = (port: number) =>
      putMaster({ ...db.masterSecretValue(h.master), host: '127.0.0.1', port });
    const hangingProps = async (username: string) =>
      h.props(username, { MasterSecretArn: await masterAt(silent.port) });

    it('answers FAILED before the Lambda deadline when the database accepts and never answers', async () => {
      const username = `deadline_${run}`;
      const accepted = silent.accepted;
      const started = Date.now();
      const response = await h.send('Create', {
        properties: await hangingProps(username),
        logicalResourceId: 'deadline',
        remainingMs: 8000,
        // The connect timeout outlasts the function: only the deadline guard can answer.
        deps: { responseMarginMs: 2000, timeouts: { connectMs: 30_000, statementMs: 30_000 } },
      });
      const elapsed = Date.now() - started;

      expect(silent.accepted).toBeGreaterThan(accepted);
      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toMatch(/timed out/);
      expect(response.PhysicalResourceId).toMatch(/^dbauth\/failed-create\//);
      expect(elapsed).toBeGreaterThanOrEqual(5500);
      expect(elapsed).toBeLessThan(8000);
      expect(await h.stackSecrets()).toEqual([]);
      expect(await db.userExists(username)).toBe(false);
    }, 20_000);

    it('fails fast and says so when the connect timeout runs out first', async () => {
      const started = Date.now();
      const response = await h.send('Create', {
        properties: await hangingProps(`connect_${run}`),
        logicalResourceId: 'connect',
        deps: { timeouts: { connectMs: 1000, statementMs: 5000 } },
      });
      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toBe(
        `database at 127.0.0.1:${silent.port} is unreachable: no answer within 1000 ms`,
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await h.stackSecrets()).toEqual([]);
    });

    it('makes nothing when the database answers only after the deadline answer was sent', async () => {
      const slow = new SlowProxy({ host: db.host, port: db.port }, 3000);
      await slow.start();
      try {
        const username = `late_${run}`;
        const response = await h.send('Create', {
          properties: h.props(username, { MasterSecretArn: await masterAt(slow.port) }),
          logicalResourceId: 'late',
          remainingMs: 4000,
          deps: { responseMarginMs: 2000, timeouts: { connectMs: 10_000, statementMs: 10_000 } },
        });
        expect(response.Status).toBe('FAILED');
        expect(response.Reason).toMatch(/timed out/);
        // The work outlives the answer (as it would on a Lambda container thawed for the next
        // request); once its connection has closed, nothing it did may remain.
        await slow.settled();
        expect(await h.stackSecrets('late-')).toEqual([]);
        expect(await db.userExists(username)).toBe(false);
      } finally {
        await slow.stop();
      }
    }, 20_000);
  },
);

describe('the custom resource and the secret events function when Secrets Manager never answers', () => {
  const h = new CustomResourceHarness('held');
  const proxy = new HoldingHttpProxy(new URL(testEnv.aws.endpoint));

  beforeAll(async () => {
    await h.setUp();
    await proxy.start();
  });
  afterAll(async () => {
    await proxy.stop();
    await h.tearDown();
  });
  h.scanEachTest();
  afterEach(() => (proxy.holding = undefined));

  const heldStore = () =>
    secretStore(makeSecretsManagerClient({ endpoint: proxy.endpoint, region: testEnv.aws.region }));

  it('answers FAILED before the Lambda deadline when CreateSecret is never answered, and makes no user', async () => {
    const username = `held_${uniqueSuffix()}`;
    proxy.holding = 'secretsmanager.CreateSecret';
    const started = Date.now();

    const response = await h.send('Create', {
      properties: h.props(username),
      logicalResourceId: 'held',
      remainingMs: 8000,
      deps: { responseMarginMs: 3000, store: heldStore() },
    });

    expect(proxy.heldCount).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(/timed out/);
    expect(await h.db.userExists(username)).toBe(false);
  });

  it('ends a secret event before the Lambda deadline when DescribeSecret is never answered', async () => {
    proxy.holding = 'secretsmanager.DescribeSecret';
    const handle = makeSecretEventsHandler({
      ...secretEventsDeps({}),
      store: heldStore(),
      deadlineMarginMs: 2000,
    });
    const started = Date.now();
    const secretArn = await putSecret({ username: 'nobody' }, { 'dbauth:master': h.masterArn });

    await expect(
      handle(secretEvent('create-secret', { secretArn, masterArn: h.masterArn }), lambdaContext(6000)),
    ).rejects.toThrow(/did not finish within the \d+ ms left before the function deadline/);
    expect(Date.now() - started).toBeLessThan(6000);
  });
});

// No handler runs here (the client alone prints nothing): no leak check.
describe('a Secrets Manager client whose call is never answered', () => {
  const proxy = new HoldingHttpProxy(new URL(testEnv.aws.endpoint));
  beforeAll(() => proxy.start());
  afterAll(() => proxy.stop());

  it("fails the call at the client's request timeout, instead of waiting on", async () => {
    proxy.holding = 'secretsmanager.DescribeSecret';
    const client = makeSecretsManagerClient({
      endpoint: proxy.endpoint,
      region: testEnv.aws.region,
      requestTimeoutMs: 1000,
      maxAttempts: 1,
    });
    const started = Date.now();

    await expect(secretStore(client).describe('dbauth/test/never-answered')).rejects.toThrow(
      /Secrets Manager DescribeSecret on .* failed: TimeoutError/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
