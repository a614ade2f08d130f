import './support/env';
import { TEST_DATABASES, type TestMaster } from './support/databases';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { OutputCapture, scanEachTest } from './support/capture';
import { EventQueue } from './support/event-queue';
import { putSecret, secretStore, secretsClient, tagSecret } from './support/aws';
import {
  createRotatableUser,
  enableRotation,
  logsIn,
  rotate,
  rotateDeps,
  rotateHandler,
  secretAt,
  type AppUser,
} from './support/rotation';

describe.each(TEST_DATABASES)('rotation on $name when things go wrong', (db) => {
  const output = new OutputCapture();
  const events = new EventQueue();
  const passwords: string[] = [];
  let master: TestMaster;
  let handler: ReturnType<typeof rotateHandler>;

  beforeAll(async () => {
    master = await db.createMaster();
    passwords.push(master.password);
    await events.start();
    handler = rotateHandler(rotateDeps({ busName: events.busName }));
  });
  scanEachTest(
    output,
    () => passwords,
    () => events.everyEvent(),
  );

  async function newUser(strategy: 'single' | 'alternating', options = {}): Promise<AppUser> {
    const user = await createRotatableUser(master, { db, strategy, ...options });
    passwords.push(user.password);
    return user;
  }
  async function current(secretArn: string) {
    const value = await secretAt(secretArn, 'AWSCURRENT');
    passwords.push(value.password.reveal());
    return value;
  }
  const stagesOf = async (secretArn: string) => (await secretStore().describe(secretArn)).versions;

  it.each(['single', 'alternating'] as const)(
    'gives the same end state when each step runs twice (%s)',
    async (strategy) => {
      const user = await newUser(strategy);
      const token = randomUUID();
      for (const step of ['createSecret', 'createSecret'] as const)
        await rotate(user.secretArn, { handler, token, steps: [step] });
      const pendingAfterCreate = await secretStore().getString(user.secretArn, { versionId: token });
      for (const step of ['setSecret', 'setSecret', 'testSecret', 'testSecret', 'finishSecret'] as const)
        await rotate(user.secretArn, { handler, token, steps: [step] });
      const before = await stagesOf(user.secretArn);
      await rotate(user.secretArn, { handler, token, steps: ['finishSecret'] });
      expect(await stagesOf(user.secretArn)).toEqual(before);
      // The second createSecret kept the first one's password: that is what became current.
      const currentString = await secretStore().getString(user.secretArn, { stage: 'AWSCURRENT' });
      expect(currentString.equals(pendingAfterCreate)).toBe(true);
      expect(await logsIn(await current(user.secretArn), master.database)).toBe(true);
    },
  );

  it.each(['single', 'alternating'] as const)(
    'completes a rotation interrupted after setSecret when it is started again (%s)',
    async (strategy) => {
      const user = await newUser(strategy);
      const token = randomUUID();
      await rotate(user.secretArn, { handler, token, steps: ['createSecret', 'setSecret'] });
      // Secrets Manager retries the whole rotation with the same token.
      await rotate(user.secretArn, { handler, token });
      const now = await current(user.secretArn);
      expect((await stagesOf(user.secretArn))[token]).toContain('AWSCURRENT');
      expect(await logsIn(now, master.database)).toBe(true);
    },
  );

  it('leaves AWSCURRENT untouched and working when testSecret fails, and says so in an event', async () => {
    const user = await newUser('alternating', { grants: 'readwrite' });
    const before = await current(user.secretArn);
    const versionsBefore = await stagesOf(user.secretArn);
    await events.drain();
    const token = randomUUID();
    await rotate(user.secretArn, { handler, token, steps: ['createSecret', 'setSecret'] });
    // The user was made with SELECT only: readwrite cannot be proven.
    await expect(rotate(user.secretArn, { handler, token, steps: ['testSecret'] })).rejects.toThrow(
      /lacks (DELETE|INSERT|UPDATE)/,
    );
    const currentVersion = (versions: Record<string, string[]>) =>
      Object.keys(versions).find((id) => versions[id]?.includes('AWSCURRENT'));
    expect(currentVersion(await stagesOf(user.secretArn))).toBe(currentVersion(versionsBefore));
    const still = await current(user.secretArn);
    expect(still.username).toBe(before.username);
    expect(await logsIn(still, master.database)).toBe(true);
    const failed = (await events.drain()).filter((e) => e['detail-type'] === 'Rotation Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.detail).toMatchObject({ secretArn: user.secretArn, step: 'testSecret' });
    expect(String(failed[0]?.detail.reason)).toMatch(/lacks/);
  });

  it('rotates when the master secret is mid-rotation: AWSCURRENT stale, AWSPENDING right', async () => {
    const user = await newUser('alternating');
    const { masterarn } = await current(user.secretArn);
    const masterValue = JSON.parse(
      (await secretStore().getString(masterarn ?? '', { stage: 'AWSCURRENT' })).reveal(),
    ) as Record<string, unknown>;
    const client = secretsClient();
    await client.send(
      new PutSecretValueCommand({
        SecretId: masterarn,
        SecretString: JSON.stringify(masterValue),
        VersionStages: ['AWSPENDING'],
      }),
    );
    await client.send(
      new PutSecretValueCommand({
        SecretId: masterarn,
        SecretString: JSON.stringify({ ...masterValue, password: 'stale-master-password-000' }),
      }),
    );
    passwords.push('stale-master-password-000');
    const masterNow = await secretStore().getString(masterarn ?? '', { stage: 'AWSCURRENT' });
    expect(masterNow.reveal()).toContain('stale-master-password-000');
    await rotate(user.secretArn, { handler });
    expect(await logsIn(await current(user.secretArn), master.database)).toBe(true);
  });

  it('sets a single user password with the master when no known password logs in', async () => {
    const user = await newUser('single');
    await db.setPasswordAsAdmin(user.username, 'changed-behind-our-back-1');
    passwords.push('changed-behind-our-back-1');
    await rotate(user.secretArn, { handler });
    expect(await logsIn(await current(user.secretArn), master.database)).toBe(true);
  });

  // A read-only default transaction is a real way a user cannot change its own password on
  // PostgreSQL (ALTER ROLE fails with 25006); MariaDB lets every user change its own password.
  if (db.family === 'postgresql') {
    describe('PostgreSQL only', () => {
      it('sets a single user password with the master when the user logs in but may not change it', async () => {
        const user = await newUser('single');
        await db.asMaster(master, `ALTER ROLE ${user.username} SET default_transaction_read_only = on`);
        const before = await current(user.secretArn);
        await rotate(user.secretArn, { handler });
        const after = await current(user.secretArn);
        expect(after.password.equals(before.password)).toBe(false);
        expect(await logsIn(after, master.database)).toBe(true);

        // Without a master it may use, the step fails with the server's reason.
        const orphan = await newUser('single', { withMaster: false });
        await db.asMaster(master, `ALTER ROLE ${orphan.username} SET default_transaction_read_only = on`);
        await expect(rotate(orphan.secretArn, { handler })).rejects.toThrow(/SQLSTATE 25006/);
      });
    });
  }

  it('fails clearly for a single user whose password was changed and whose secret names no master', async () => {
    const user = await newUser('single', { withMaster: false });
    await db.setPasswordAsAdmin(user.username, 'changed-behind-our-back-2');
    passwords.push('changed-behind-our-back-2');
    await expect(rotate(user.secretArn, { handler })).rejects.toThrow(
      /logs in as .* and no master may set it/,
    );
  });

  it('will not have the master set the password of a user the secret is not tagged for', async () => {
    // The victim: someone else's user, with a password nobody here knows.
    const victim = await newUser('single');
    // A secret that names the victim (and a master), with a password that does not log in.
    const value = await current(victim.secretArn);
    const claim = await putSecret(
      { ...JSON.parse(JSON.stringify(value)), password: 'not-the-victims-password-1' },
      { 'dbauth:strategy': 'single', 'dbauth:managed-by': 'someone', 'dbauth:user': 'somebody_else' },
    );
    passwords.push('not-the-victims-password-1');
    await enableRotation(claim);
    await expect(rotate(claim, { handler })).rejects.toThrow(/no master may set it/);
    expect(await logsIn(await current(victim.secretArn), master.database)).toBe(true);
  });

  it('will not use a login it proved to act on another user (alternating users)', async () => {
    const attacker = await newUser('alternating');
    const victim = await newUser('single');
    // The attacker's working credentials, tagged as if they were the victim's pair.
    await tagSecret(attacker.secretArn, { 'dbauth:user': victim.username });
    await expect(rotate(attacker.secretArn, { handler })).rejects.toThrow(/which is not the pair/);
    // No second login of the victim's appeared with a password the attacker could read.
    expect(await db.userExists(`${victim.username}_clone`)).toBe(false);
    expect(await logsIn(await current(victim.secretArn), master.database)).toBe(true);
  });

  it('refuses to act as master for a secret whose own credentials do not log in', async () => {
    const user = await newUser('alternating');
    await db.setPasswordAsAdmin(user.username, 'changed-behind-our-back-3');
    passwords.push('changed-behind-our-back-3');
    await expect(rotate(user.secretArn, { handler })).rejects.toThrow(/will not use the master user/);
    expect(await db.userExists(`${user.username}_clone`)).toBe(false);
  });

  it('refuses to send the master password to another host than the master secret names', async () => {
    const user = await newUser('alternating');
    const value = await current(user.secretArn);
    // Same server, another name: what matters is that the secret and its master disagree.
    await secretsClient().send(
      new PutSecretValueCommand({
        SecretId: user.secretArn,
        SecretString: JSON.stringify({
          ...JSON.parse(JSON.stringify(value)),
          password: value.password.reveal(),
          host: 'localhost',
        }),
      }),
    );
    await expect(rotate(user.secretArn, { handler })).rejects.toThrow(
      /names database host localhost.*refusing/,
    );
  });

  describe('preamble', () => {
    it('refuses a secret whose rotation is not enabled', async () => {
      const arn = await putSecret({
        engine: db.engine,
        host: '127.0.0.1',
        port: 5432,
        username: 'u',
        password: 'p-not-enabled-1',
      });
      await expect(rotate(arn, { handler })).rejects.toThrow(/rotation is not enabled/);
    });

    it('refuses a token that is not a version of the secret', async () => {
      const user = await newUser('single');
      await expect(rotate(user.secretArn, { handler, steps: ['setSecret'] })).rejects.toThrow(
        /has no version/,
      );
    });

    it('refuses a token that is not AWSPENDING', async () => {
      const user = await newUser('single');
      await rotate(user.secretArn, { handler });
      const versions = await stagesOf(user.secretArn);
      const previous = Object.keys(versions).find((id) => versions[id]?.includes('AWSPREVIOUS')) ?? '';
      await expect(
        rotate(user.secretArn, { handler, token: previous, steps: ['setSecret'] }),
      ).rejects.toThrow(/is not AWSPENDING/);
    });

    it('does nothing for a token that is already AWSCURRENT', async () => {
      const user = await newUser('single');
      const versions = await stagesOf(user.secretArn);
      const currentId = Object.keys(versions).find((id) => versions[id]?.includes('AWSCURRENT')) ?? '';
      const { results } = await rotate(user.secretArn, { handler, token: currentId });
      expect(results.map((r) => r.outcome)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
      expect(await stagesOf(user.secretArn)).toEqual(versions);
    });

    it('refuses an unknown step and a malformed event', async () => {
      const user = await newUser('single');
      await expect(
        handler({ Step: 'dropEverything', SecretId: user.secretArn, ClientRequestToken: randomUUID() }),
      ).rejects.toThrow(/unknown rotation step/);
      await expect(handler({ Step: 'createSecret', SecretId: user.secretArn })).rejects.toThrow(
        /not a Secrets Manager rotation event/,
      );
      await expect(handler('{"Step": "createSecret"}')).rejects.toThrow(
        /not a Secrets Manager rotation event/,
      );
    });
  });

  describe('dead or hostile databases', () => {
    let silent: Server;
    let silentPort = 0;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      silent = createServer((socket) => sockets.push(socket)); // accepts, never answers
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentPort = (silent.address() as { port: number }).port;
    });
    afterAll(async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    async function secretPointingAt(port: number): Promise<string> {
      const arn = await putSecret(
        {
          engine: db.engine,
          host: db.host,
          port,
          username: 'nobody_here',
          password: 'dead-db-password-1',
          dbname: db.family === 'postgresql' ? 'postgres' : 'mysql',
        },
        { 'dbauth:strategy': 'single' },
      );
      passwords.push('dead-db-password-1');
      await enableRotation(arn);
      return arn;
    }

    it('fails fast and clearly when the database port is closed', async () => {
      const arn = await secretPointingAt(1);
      const token = randomUUID();
      await rotate(arn, { handler, steps: ['createSecret'], token });
      const started = Date.now();
      await expect(rotate(arn, { handler, steps: ['createSecret', 'setSecret'], token })).rejects.toThrow(
        /database at 127\.0\.0\.1:1 is unreachable/,
      );
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('gives up within the connect timeout when the database never answers', async () => {
      const quick = rotateHandler(rotateDeps({ env: { DBAUTH_CONNECT_TIMEOUT_MS: '1000' } }));
      const arn = await secretPointingAt(silentPort);
      await expect(rotate(arn, { handler: quick, steps: ['createSecret', 'setSecret'] })).rejects.toThrow(
        /unreachable: no answer within 1000 ms/,
      );
    });

    it('refuses a user name in the secret that could inject SQL', async () => {
      const arn = await putSecret(
        {
          engine: db.engine,
          host: db.host,
          port: db.port,
          username: `x"; DROP ROLE postgres; --'@'%'; DROP USER root; --`,
          password: 'inject-pw-1',
          dbname: master.database,
        },
        { 'dbauth:strategy': 'single' },
      );
      passwords.push('inject-pw-1');
      await enableRotation(arn);
      await expect(rotate(arn, { handler })).rejects.toThrow(/invalid user name/);
      expect(await db.userExists(db.adminUser)).toBe(true);
    });
  });

  it('passes a cross-account RotationToken on to PutSecretValue', async () => {
    const user = await newUser('single');
    const deps = rotateDeps();
    const seen: unknown[] = [];
    deps.store.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutSecretValueCommand')
          seen.push((args.input as { RotationToken?: string }).RotationToken);
        return next(args);
      },
      { step: 'initialize', name: 'recordRotationToken' },
    );
    const token = randomUUID();
    await rotateHandler(deps)({
      Step: 'createSecret',
      SecretId: user.secretArn,
      ClientRequestToken: token,
      RotationToken: 'cross-account-token-1',
    });
    expect(seen).toEqual(['cross-account-token-1']);
  });
});
