import './support/env';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { OutputCapture, scanEachTest } from './support/capture';
import { EventQueue } from './support/event-queue';
import { motoRotationFunctionArn } from './support/lambda';
import { TEST_DATABASES, type TestMaster } from './support/databases';
import { uniqueSuffix } from './support/postgres';
import { secretEvent, secretEventsHandler } from './support/secret-events';
import { secretStore, secretsClient, tagSecret } from './support/aws';
import { lambdaContext } from './support/deps';
import { readFileSync } from 'node:fs';
import { parsePartialSecret } from '../../lib/secrets/secret-value';

const CA = process.env.DBAUTH_TEST_CA ?? '/tmp/dbauth-services/tls/ca.pem';

describe.each(TEST_DATABASES)('secrets managed by their dbauth:* tags on $name', (db) => {
  const output = new OutputCapture();
  const events = new EventQueue();
  const passwords: string[] = [];
  let master: TestMaster;
  let masterArn: string;
  let rotationArn: string;
  let handle: ReturnType<typeof secretEventsHandler>;

  beforeAll(async () => {
    master = await db.createMaster();
    passwords.push(master.password);
    masterArn = await db.putMasterSecret(master);
    // The database's owner lets dbauth take over the hand-made users of the adoption tests.
    await tagSecret(masterArn, { 'dbauth:allow-adopt': 'adopt_ claimed_' });
    rotationArn = await motoRotationFunctionArn();
    await events.start();
    handle = secretEventsHandler({ busName: events.busName, rotationLambdaArn: rotationArn });
    await db.asMaster(master, db.itemsTable);
  });
  scanEachTest(
    output,
    () => passwords,
    () => events.everyEvent(),
  );

  /** A secret as an application team would create it: maybe only a username, and its tags. */
  async function createSecret(value: Record<string, unknown> | undefined, tags: Record<string, string>) {
    const name = `dbauth/test/app/${uniqueSuffix()}`;
    const out = await secretsClient().send(
      new CreateSecretCommand({
        Name: name,
        SecretString: value ? JSON.stringify(value) : undefined,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return { arn: out.ARN ?? '', name };
  }
  async function stored(arn: string) {
    const value = parsePartialSecret(arn, await secretStore().getString(arn, { stage: 'AWSCURRENT' }));
    if (value.password) passwords.push(value.password.reveal());
    return value;
  }
  async function loginOf(arn: string) {
    const value = await stored(arn);
    return {
      user: value.username ?? '',
      password: value.password?.reveal() ?? '',
      database: master.database,
    };
  }

  it('creates the user of a secret created with tags, fills in the secret and attaches rotation', async () => {
    const username = `tagged_${uniqueSuffix()}`;
    const secret = await createSecret(
      { username },
      { 'dbauth:master': masterArn, 'dbauth:grants': 'readwrite' },
    );
    await events.drain();
    const result = await handle(
      secretEvent('create-secret', { secretArn: secret.arn, secretName: secret.name, masterArn }),
    );
    expect(result.outcomes).toEqual({ [secret.arn]: 'created' });
    const value = await stored(secret.arn);
    expect(value).toMatchObject({
      engine: db.engine,
      username,
      dbname: master.database,
      masterarn: masterArn,
    });
    const login = await loginOf(secret.arn);
    expect(await db.tryAs(login, `INSERT INTO items (name) VALUES ('x')`)).toBe('ok');
    const described = await secretStore().describe(secret.arn);
    expect(described.rotationEnabled).toBe(true);
    expect(described.rotationLambdaArn).toBe(rotationArn);
    expect(described.tags).toMatchObject({ 'dbauth:managed-by': 'tags', 'dbauth:user': username });
    const published = await events.drain();
    expect(published.map((e) => e['detail-type'])).toEqual(['Database User Created']);
    expect(published[0]?.detail).toMatchObject({ secretArn: secret.arn, user: username, engine: db.engine });
  });

  it('changes nothing when the same event comes again', async () => {
    const username = `replay_${uniqueSuffix()}`;
    const secret = await createSecret({ username }, { 'dbauth:master': masterArn });
    const event = secretEvent('create-secret', { secretArn: secret.arn, secretName: secret.name, masterArn });
    await handle(event);
    const before = await secretStore().describe(secret.arn);
    const password = (await stored(secret.arn)).password?.reveal();
    expect((await handle(event)).outcomes).toEqual({ [secret.arn]: 'unchanged' });
    expect((await handle(structuredClone(event))).outcomes).toEqual({ [secret.arn]: 'unchanged' });
    expect((await secretStore().describe(secret.arn)).versions).toEqual(before.versions);
    expect((await stored(secret.arn)).password?.reveal()).toBe(password);
  });

  it('manages a secret tagged later, whose value was empty, and follows a change of its grants tag', async () => {
    const username = `later_${uniqueSuffix()}`;
    const secret = await createSecret(undefined, {});
    await tagSecret(secret.arn, {
      'dbauth:master': masterArn,
      'dbauth:user': username,
      'dbauth:rotation': 'off',
    });
    const tagged = secretEvent('tag-resource', { secretArn: secret.arn, secretName: secret.name, masterArn });
    expect((await handle(tagged)).outcomes).toEqual({ [secret.name]: 'created' });
    const login = await loginOf(secret.arn);
    expect(await db.tryAs(login, 'SELECT count(*) FROM items')).toBe('ok');
    expect(await db.tryAs(login, `INSERT INTO items (name) VALUES ('x')`)).toBe(db.denied);
    expect((await secretStore().describe(secret.arn)).rotationEnabled).toBe(false);

    await tagSecret(secret.arn, { 'dbauth:grants': 'readwrite' });
    expect((await handle(tagged)).outcomes).toEqual({ [secret.name]: 'updated' });
    expect(await db.tryAs(login, `INSERT INTO items (name) VALUES ('x')`)).toBe('ok');
    await tagSecret(secret.arn, { 'dbauth:grants': 'readonly' });
    await handle(tagged);
    expect(await db.tryAs(login, `INSERT INTO items (name) VALUES ('x')`)).toBe(db.denied);
  });

  it('stops managing a secret whose dbauth:master tag went, and leaves its user alone', async () => {
    const username = `untag_${uniqueSuffix()}`;
    const secret = await createSecret({ username }, { 'dbauth:master': masterArn });
    await handle(secretEvent('create-secret', { secretArn: secret.arn, secretName: secret.name, masterArn }));
    await secretsClient().send(
      new UntagResourceCommand({ SecretId: secret.arn, TagKeys: ['dbauth:master'] }),
    );
    await events.drain();
    const result = await handle(secretEvent('untag-resource', { secretArn: secret.arn, masterArn }));
    expect(result.outcomes).toEqual({ [secret.arn]: 'released' });
    const described = await secretStore().describe(secret.arn);
    expect(described.rotationEnabled).toBe(false);
    expect(described.tags['dbauth:managed-by']).toBeUndefined();
    expect(await db.tryAs(await loginOf(secret.arn), 'SELECT 1')).toBe('ok');
    expect((await events.drain()).map((e) => e.detail.change)).toEqual(['released']);
    // Replayed: nothing left to release.
    expect(
      (await handle(secretEvent('untag-resource', { secretArn: secret.arn, masterArn }))).outcomes,
    ).toEqual({
      [secret.arn]: 'not managed',
    });
  });

  it('adopts an existing user: it takes the secret password and the tagged grants', async () => {
    const username = `adopt_${uniqueSuffix()}`;
    await db.createLogin(master, username, 'old-adopted-password-1');
    passwords.push('old-adopted-password-1');
    const secret = await createSecret({ username }, { 'dbauth:master': masterArn, 'dbauth:rotation': 'off' });
    const result = await handle(
      secretEvent('create-secret', { secretArn: secret.arn, secretName: secret.name, masterArn }),
    );
    expect(result.outcomes).toEqual({ [secret.arn]: 'adopted' });
    expect(await db.tryAs(await loginOf(secret.arn), 'SELECT count(*) FROM items')).toBe('ok');
    expect(
      await db.tryAs(
        { user: username, password: 'old-adopted-password-1', database: master.database },
        'SELECT 1',
      ),
    ).not.toBe('ok');
  });

  it('refuses a second secret for a user that another secret manages, and changes nothing', async () => {
    const username = `claimed_${uniqueSuffix()}`;
    const first = await createSecret({ username }, { 'dbauth:master': masterArn, 'dbauth:rotation': 'off' });
    await handle(secretEvent('create-secret', { secretArn: first.arn, secretName: first.name, masterArn }));
    const firstLogin = await loginOf(first.arn);
    const second = await createSecret({ username }, { 'dbauth:master': masterArn, 'dbauth:rotation': 'off' });
    const before = await secretStore().describe(second.arn);
    await expect(
      handle(secretEvent('create-secret', { secretArn: second.arn, secretName: second.name, masterArn })),
    ).rejects.toThrow(`already managed by dbauth through secret ${first.arn}`);
    // The first secret still logs in: its password was not taken over.
    expect(await db.tryAs(firstLogin, 'SELECT 1')).toBe('ok');
    const after = await secretStore().describe(second.arn);
    expect(after.versions).toEqual(before.versions);
    expect(after.tags).toEqual(before.tags);
  });

  it('adopts a user as if it had made it: over TLS, a MySQL user gets REQUIRE SSL', async () => {
    const username = `adopt_tls_${uniqueSuffix()}`;
    await db.createLogin(master, username, 'old-adopted-password-2');
    passwords.push('old-adopted-password-2');
    const secret = await createSecret({ username }, { 'dbauth:master': masterArn, 'dbauth:rotation': 'off' });
    const overTls = secretEventsHandler({
      busName: events.busName,
      rotationLambdaArn: rotationArn,
      env: { DBAUTH_TLS_MODE: 'verify-full', DBAUTH_CA_BUNDLE: CA },
    });
    const result = await overTls(
      secretEvent('create-secret', { secretArn: secret.arn, secretName: secret.name, masterArn }),
    );
    expect(result.outcomes).toEqual({ [secret.arn]: 'adopted' });
    const login = await loginOf(secret.arn);
    const tls = { ...login, ssl: { ca: readFileSync(CA, 'utf8') } };
    expect(await db.tryAs(tls, 'SELECT count(*) FROM items')).toBe('ok');
    // PostgreSQL requires TLS in pg_hba.conf, for every user alike; MySQL per user.
    if (db.family === 'mysql') expect(await db.tryAs(login, 'SELECT 1')).toBe('28000');
  });

  it("refuses a dbauth:master tag naming another account's secret, before reading it", async () => {
    const username = `foreign_${uniqueSuffix()}`;
    const otherAccount = masterArn.replace(':123456789012:', ':999999999999:');
    const secret = await createSecret({ username }, { 'dbauth:master': otherAccount });
    const before = await secretStore().describe(secret.arn);
    await expect(
      handle(
        secretEvent('create-secret', {
          secretArn: secret.arn,
          secretName: secret.name,
          masterArn: otherAccount,
        }),
        lambdaContext(),
      ),
    ).rejects.toThrow(/is in account 999999999999, not in this function's account 123456789012/);
    expect(await db.userExists(username)).toBe(false);
    expect((await secretStore().describe(secret.arn)).versions).toEqual(before.versions);
  });

  it('does nothing for an event about a secret that no longer exists', async () => {
    const secret = await createSecret({ username: `gone_${uniqueSuffix()}` }, { 'dbauth:master': masterArn });
    await secretsClient().send(
      new DeleteSecretCommand({ SecretId: secret.arn, ForceDeleteWithoutRecovery: true }),
    );
    const result = await handle(
      secretEvent('create-secret', { secretArn: secret.arn, secretName: secret.name, masterArn }),
    );
    expect(result.outcomes).toEqual({ [secret.arn]: 'gone' });
  });

  it.each([
    ['does not exist', async () => `${masterArn}-missing`, /was not found/],
    [
      'does not authenticate',
      async () => db.putMasterSecret({ ...master, password: 'wrong-master-password-9' }),
      /no version of master secret .* logs in/,
    ],
  ])('fails clearly and changes nothing when the master secret %s', async (_, masterOf, reason) => {
    passwords.push('wrong-master-password-9');
    const username = `badmaster_${uniqueSuffix()}`;
    const badMaster = await masterOf();
    const secret = await createSecret({ username }, { 'dbauth:master': badMaster });
    const before = await secretStore().describe(secret.arn);
    await expect(
      handle(
        secretEvent('create-secret', {
          secretArn: secret.arn,
          secretName: secret.name,
          masterArn: badMaster,
        }),
      ),
    ).rejects.toThrow(reason);
    expect(await secretStore().describe(secret.arn)).toEqual(before);
    expect(await db.userExists(username)).toBe(false);
  });

  it("refuses to take over a CloudFormation stack's secret that someone tagged", async () => {
    const username = `stackowned_${uniqueSuffix()}`;
    const secret = await createSecret(
      { username },
      {
        'dbauth:master': masterArn,
        'dbauth:managed-by': 'cloudformation:arn:aws:cloudformation:us-east-1:1:stack/s/x/AppUser',
      },
    );
    const before = await secretStore().describe(secret.arn);
    await expect(
      handle(secretEvent('tag-resource', { secretArn: secret.arn, secretName: secret.name, masterArn })),
    ).rejects.toThrow(/belongs to a CloudFormation stack/);
    expect(await secretStore().describe(secret.arn)).toEqual(before);
    expect(await db.userExists(username)).toBe(false);
  });

  it('refuses an injection attempt in the user name and changes nothing', async () => {
    const secret = await createSecret(
      { username: 'x"; DROP ROLE postgres; --' },
      { 'dbauth:master': masterArn },
    );
    const before = await secretStore().describe(secret.arn);
    await expect(
      handle(secretEvent('create-secret', { secretArn: secret.arn, secretName: secret.name, masterArn })),
    ).rejects.toThrow(/invalid user name/);
    expect(await secretStore().describe(secret.arn)).toEqual(before);
  });

  it('publishes Rotation Failed when Secrets Manager reports a failed rotation of a managed secret', async () => {
    const username = `rotfail_${uniqueSuffix()}`;
    const secret = await createSecret({ username }, { 'dbauth:master': masterArn });
    await handle(secretEvent('create-secret', { secretArn: secret.arn, secretName: secret.name, masterArn }));
    await events.drain();
    await handle(secretEvent('rotation-failed', { secretArn: secret.arn }));
    const published = await events.drain();
    expect(published.map((e) => e['detail-type'])).toEqual(['Rotation Failed']);
    expect(published[0]?.detail).toMatchObject({
      secretArn: secret.arn,
      engine: db.engine,
      user: username,
      reason: 'Secrets Manager reported RotationFailed',
    });
  });

  it('leaves the failed rotations of secrets dbauth neither manages nor rotates to their owners', async () => {
    const secret = await createSecret({ username: `theirs_${uniqueSuffix()}`, password: 'their-pw-1' }, {});
    passwords.push('their-pw-1');
    await events.drain();
    const result = await handle(secretEvent('rotation-failed', { secretArn: secret.arn }));
    expect(result.outcomes).toEqual({ [secret.arn]: 'not managed' });
    expect(await events.drain()).toEqual([]);
  });

  it('re-syncs the users of the secrets that name a master, when the master rotated', async () => {
    const username = `dependant_${uniqueSuffix()}`;
    const secret = await createSecret({ username }, { 'dbauth:master': masterArn, 'dbauth:rotation': 'off' });
    await handle(secretEvent('create-secret', { secretArn: secret.arn, secretName: secret.name, masterArn }));
    // The user was dropped behind dbauth's back: the master's rotation brings it back.
    await db.dropUserAsAdmin(master, username);
    const result = await handle(
      secretEvent('secret-label-updated', { secretArn: masterArn, secretName: 'master' }),
    );
    expect(result.outcomes[secret.arn]).toBe('created');
    expect(await db.tryAs(await loginOf(secret.arn), 'SELECT count(*) FROM items')).toBe('ok');
  });

  it('re-syncs at most 50 dependants for one master rotation, and says so when there are more', async () => {
    // A stand-in master: its value logs in nowhere, so each dependant's re-sync fails on its own.
    const standIn = await createSecret({ username: 'nobody' }, {});
    // One at a time: moto's CreateSecret walks every secret it holds unlocked, and fails (500)
    // when another create lands meanwhile - likelier the more secrets the run has made.
    for (let made = 0; made < 51; made += 1)
      await createSecret({ username: `many_${uniqueSuffix()}` }, { 'dbauth:master': standIn.arn });
    const result = await handle(
      secretEvent('secret-label-updated', { secretArn: standIn.arn, secretName: standIn.name }),
    );
    expect(Object.keys(result.outcomes)).toHaveLength(50);
    expect(output.text).toContain('more dependants than one event re-syncs');
  });

  it('refuses a malformed event', async () => {
    await expect(handle({ source: 'aws.secretsmanager', detail: 'nope' })).rejects.toThrow(
      /not an event dbauth handles/,
    );
    await expect(handle({ hello: 'world' })).rejects.toThrow(/not an event dbauth handles/);
  });
});
