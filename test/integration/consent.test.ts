import './support/env';
import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { adoptConsent, putMaster, secretStore, secretsClient, tagSecret, TEST_CONSENT } from './support/aws';
import { TEST_DATABASES } from './support/databases';
import { CustomResourceHarness } from './support/harness';
import { uniqueSuffix } from './support/postgres';
import { secretEvent, secretEventsHandler } from './support/secret-events';
import { lambdaContext } from './support/deps';
import { rotate } from './support/rotation';
import { motoRotationFunctionArn } from './support/lambda';

/**
 * A master secret lends itself only to whom its own tags name: the stacks (by name prefix),
 * the tagged secrets (by name prefix), the strongest grant, and the existing users dbauth may
 * take over. Every refusal changes nothing; with the consent given, the same request works.
 */
describe.each(TEST_DATABASES)('consent on the master on $name', (db) => {
  const h = new CustomResourceHarness('consent', db);
  const run = uniqueSuffix();

  beforeAll(() => h.setUp());
  afterAll(() => h.tearDown());
  h.scanEachTest();

  /** A master secret of the harness's master user, with these consent tags only. */
  const masterWith = (consent: Record<string, string>) => putMaster(db.masterSecretValue(h.master), consent);

  /** A store that notes every secret whose value is read through it. */
  function readRecordingStore() {
    const store = secretStore();
    const valuesRead: string[] = [];
    const getVersion = store.getVersion.bind(store);
    store.getVersion = (secretId, version) => (valuesRead.push(secretId), getVersion(secretId, version));
    const getCurrentOfEach = store.getCurrentOfEach.bind(store);
    store.getCurrentOfEach = (ids) => (valuesRead.push(...ids), getCurrentOfEach(ids));
    return { store, valuesRead };
  }

  const versionsOf = async (arn: string) =>
    (await secretsClient().send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};

  describe('Custom::DatabaseUser', () => {
    it('is refused by a master with no consent tags, naming the tag to add, with nothing read beyond its tags', async () => {
      const masterArn = await masterWith({});
      const username = `untagged_${run}`;
      const { store, valuesRead } = readRecordingStore();

      const created = await h.send('Create', {
        properties: h.props(username, { MasterSecretArn: masterArn }),
        logicalResourceId: 'untagged',
        deps: { store },
      });

      expect(created.Status).toBe('FAILED');
      expect(created.Reason).toContain(`master secret ${masterArn} names no stack`);
      expect(created.Reason).toContain('tag it dbauth:allow-stacks');
      expect(valuesRead).toEqual([]);
      expect(await db.userExists(username)).toBe(false);
      expect(await h.stackSecrets('untagged')).toEqual([]);
    });

    it('is refused for a stack the master does not name, and works once the master names it', async () => {
      const masterArn = await masterWith({ 'dbauth:allow-stacks': 'team-a- team-b-' });
      const username = `otherteam_${run}`;
      const properties = h.props(username, { MasterSecretArn: masterArn });

      const refused = await h.send('Create', { properties, logicalResourceId: 'otherteam' });

      expect(refused.Status).toBe('FAILED');
      expect(refused.Reason).toBe(
        `master secret ${masterArn} does not serve stack ${h.stackName}: its tag dbauth:allow-stacks names no prefix of that name`,
      );
      expect(await db.userExists(username)).toBe(false);
      expect(await h.stackSecrets('otherteam')).toEqual([]);

      // The database's owner adds this stack's prefix: the same request works.
      await tagSecret(masterArn, { 'dbauth:allow-stacks': 'team-a- dbauth-test-consent-' });
      const created = await h.send('Create', { properties, logicalResourceId: 'otherteam' });
      expect(created.Reason).toBe('OK');
      const login = await h.storedLogin(created.Data?.SecretArn ?? '');
      expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
    });

    it('refuses a grant stronger than the master lends (readonly when it says nothing), and grants up to it', async () => {
      const masterArn = await masterWith({ 'dbauth:allow-stacks': 'dbauth-test-' });
      const username = `strong_${run}`;
      const asked = h.props(username, { MasterSecretArn: masterArn, Grants: 'readwrite' });

      const refused = await h.send('Create', { properties: asked, logicalResourceId: 'strong' });

      expect(refused.Status).toBe('FAILED');
      expect(refused.Reason).toContain('lends at most readonly (tag dbauth:max-grants)');
      expect(refused.Reason).toContain('DELETE, INSERT, UPDATE asked beyond that');
      expect(await db.userExists(username)).toBe(false);

      await tagSecret(masterArn, { 'dbauth:max-grants': 'SELECT INSERT UPDATE DELETE' });
      const created = await h.send('Create', { properties: asked, logicalResourceId: 'strong' });
      expect(created.Reason).toBe('OK');

      // An Update asking more than the master lends is refused too, and the grants stay.
      const update = await h.send('Update', {
        properties: { ...asked, Grants: 'owner' },
        oldProperties: asked,
        physicalResourceId: created.PhysicalResourceId,
        logicalResourceId: 'strong',
      });
      expect(update.Status).toBe('FAILED');
      expect(update.Reason).toContain('CREATE, REFERENCES, TRIGGER, TRUNCATE asked beyond that');
      const login = await h.storedLogin(created.Data?.SecretArn ?? '');
      expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
      const secret = await h.secretOf(created.Data?.SecretArn ?? '');
      expect(secret?.tags['dbauth:grants']).toBe('readwrite');
    });

    it('refuses to adopt an existing user without dbauth:allow-adopt, and adopts it with that consent', async () => {
      const masterArn = await masterWith({ ...TEST_CONSENT });
      const username = `handmade_${run}`;
      const password = `handmade-pw-${run}`;
      h.remember(password);
      await db.createLogin(h.master, username, password);
      const properties = h.props(username, { MasterSecretArn: masterArn, AdoptExistingUser: 'true' });

      const refused = await h.send('Create', { properties, logicalResourceId: 'handmade' });

      expect(refused.Status).toBe('FAILED');
      expect(refused.Reason).toContain(`user ${username} exists`);
      expect(refused.Reason).toContain("add a prefix of its name to the master's tag dbauth:allow-adopt");
      expect(await db.tryAs({ user: username, password, database: h.master.database }, 'SELECT 1')).toBe(
        'ok',
      );
      expect(await h.stackSecrets('handmade')).toEqual([]);

      await tagSecret(masterArn, { 'dbauth:allow-adopt': 'handmade_' });
      const adopted = await h.send('Create', { properties, logicalResourceId: 'handmade' });
      expect(adopted.Reason).toBe('OK');
      const login = await h.storedLogin(adopted.Data?.SecretArn ?? '');
      expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
    });

    it("refuses a SecretName outside dbauth's prefix before anything is read", async () => {
      const username = `outside_${run}`;
      const { store, valuesRead } = readRecordingStore();

      const refused = await h.send('Create', {
        properties: h.props(username, { SecretName: `team-a/${username}` }),
        logicalResourceId: 'outside',
        deps: { store },
      });

      expect(refused.Status).toBe('FAILED');
      expect(refused.Reason).toContain(
        `SecretName team-a/${username} is not under dbauth's secret name prefix dbauth/`,
      );
      expect(valuesRead).toEqual([]);
      expect(await db.userExists(username)).toBe(false);
    });

    it('refuses a Delete once the master no longer serves the stack, and keeps the user', async () => {
      const masterArn = await masterWith({ ...TEST_CONSENT });
      const username = `withdrawn_${run}`;
      const properties = h.props(username, { MasterSecretArn: masterArn });
      const created = await h.send('Create', { properties, logicalResourceId: 'withdrawn' });
      expect(created.Reason).toBe('OK');
      const login = await h.storedLogin(created.Data?.SecretArn ?? '');

      await tagSecret(masterArn, { 'dbauth:allow-stacks': 'team-a-' });
      const deleted = await h.send('Delete', {
        properties,
        physicalResourceId: created.PhysicalResourceId,
        logicalResourceId: 'withdrawn',
      });

      expect(deleted.Status).toBe('FAILED');
      expect(deleted.Reason).toContain(`does not serve stack ${h.stackName}`);
      expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
      expect(await h.secretOf(created.Data?.SecretArn ?? '')).toBeDefined();
    });

    it.each([
      [
        'an empty stack list',
        { 'dbauth:allow-stacks': '   ' },
        /tag dbauth:allow-stacks of master secret \S+ is malformed/,
      ],
      [
        'a comma-separated stack list',
        { 'dbauth:allow-stacks': 'dbauth-test-,team-a-' },
        /dbauth:allow-stacks .* is malformed/,
      ],
      [
        'an unknown grant ceiling',
        { ...TEST_CONSENT, 'dbauth:max-grants': 'everything' },
        /dbauth:max-grants .* is malformed/,
      ],
      [
        'a grant ceiling with an unknown privilege',
        { ...TEST_CONSENT, 'dbauth:max-grants': 'SELECT ALL' },
        /dbauth:max-grants .* is malformed/,
      ],
      [
        'an empty adoption list',
        { ...TEST_CONSENT, 'dbauth:allow-adopt': '' },
        /dbauth:allow-adopt .* is malformed/,
      ],
    ])(
      'refuses a master whose consent tags are malformed (%s): never a wider consent',
      async (_, consent, reason) => {
        const masterArn = await masterWith(consent);
        const username = `malformed_${uniqueSuffix()}`;

        const refused = await h.send('Create', {
          properties: h.props(username, { MasterSecretArn: masterArn }),
          logicalResourceId: 'malformed',
        });

        expect(refused.Status).toBe('FAILED');
        expect(refused.Reason).toMatch(reason);
        expect(await db.userExists(username)).toBe(false);
      },
    );
  });

  describe('rotation', () => {
    it('is refused the master once it no longer serves the stack that made the user, and works again with it', async () => {
      const masterArn = await masterWith({ ...TEST_CONSENT });
      const username = `rotated_${run}`;
      const created = await h.send('Create', {
        properties: h.props(username, {
          MasterSecretArn: masterArn,
          Rotation: { Strategy: 'alternating', AutomaticallyAfterDays: '30' },
        }),
        logicalResourceId: 'rotated',
        deps: { rotationLambdaArn: await motoRotationFunctionArn() },
      });
      expect(created.Reason).toBe('OK');
      const secretArn = created.Data?.SecretArn ?? '';
      const before = await h.storedLogin(secretArn);

      await tagSecret(masterArn, { 'dbauth:allow-stacks': 'team-a-' });
      let token = '';
      await expect(rotate(secretArn, { onStart: (t) => (token = t) })).rejects.toThrow(
        `does not serve stack ${h.stackName}`,
      );
      expect(await db.tryAs(before, 'SELECT 1')).toBe('ok');
      expect((await h.storedLogin(secretArn)).user).toBe(before.user);

      // Consent given back: the rotation in flight is resumed, as Secrets Manager retries it.
      await tagSecret(masterArn, { 'dbauth:allow-stacks': h.stackName });
      await rotate(secretArn, { token });
      const after = await h.storedLogin(secretArn);
      expect(after.user).toBe(`${username}_clone`);
      expect(await db.tryAs(after, 'SELECT 1')).toBe('ok');
    });
  });

  describe('a secret tagged dbauth:master', () => {
    const handle = secretEventsHandler();

    async function taggedSecret(name: string, username: string, tags: Record<string, string>) {
      const out = await secretsClient().send(
        new CreateSecretCommand({
          Name: name,
          SecretString: JSON.stringify({ username }),
          Tags: Object.entries({ 'dbauth:rotation': 'off', ...tags }).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      return { arn: out.ARN ?? '', name };
    }

    const reconcile = (secret: { arn: string; name: string }, masterArn: string) =>
      handle(
        secretEvent('create-secret', { secretArn: secret.arn, secretName: secret.name, masterArn }),
        lambdaContext(),
      );

    it('is refused outside the names the master lends itself to: no user, no password written', async () => {
      const masterArn = await masterWith({ ...TEST_CONSENT, 'dbauth:allow-secrets': 'dbauth/team-a/' });
      const username = `elsewhere_${run}`;
      const secret = await taggedSecret(`dbauth/team-b/${username}`, username, {
        'dbauth:master': masterArn,
      });
      const before = await versionsOf(secret.arn);

      await expect(reconcile(secret, masterArn)).rejects.toThrow(
        `master secret ${masterArn} does not serve secret dbauth/team-b/${username}: its tag dbauth:allow-secrets names no prefix of that name`,
      );

      expect(await db.userExists(username)).toBe(false);
      expect(await versionsOf(secret.arn)).toEqual(before);
      expect((await secretStore().describe(secret.arn)).tags['dbauth:managed-by']).toBeUndefined();

      // Named under the master's prefix, the same request works.
      const lent = await taggedSecret(`dbauth/team-a/${username}`, username, { 'dbauth:master': masterArn });
      await expect(reconcile(lent, masterArn)).resolves.toEqual(
        expect.objectContaining({ outcomes: { [lent.arn]: 'created' } }),
      );
      expect(await db.userExists(username)).toBe(true);
    });

    it("is refused outside dbauth's own prefix, whatever the master says", async () => {
      const masterArn = await masterWith({ ...TEST_CONSENT, 'dbauth:allow-secrets': 'team-a/' });
      const username = `unprefixed_${run}`;
      const secret = await taggedSecret(`team-a/${username}`, username, { 'dbauth:master': masterArn });
      const before = await versionsOf(secret.arn);

      await expect(reconcile(secret, masterArn)).rejects.toThrow(
        `secret team-a/${username} is not under dbauth's secret name prefix dbauth/`,
      );
      expect(await db.userExists(username)).toBe(false);
      expect(await versionsOf(secret.arn)).toEqual(before);
    });

    it('is refused a grant stronger than the master lends', async () => {
      const masterArn = await masterWith({
        'dbauth:allow-secrets': 'dbauth/test/',
        'dbauth:max-grants': 'readonly',
      });
      const username = `greedy_${run}`;
      const secret = await taggedSecret(`dbauth/test/${username}`, username, {
        'dbauth:master': masterArn,
        'dbauth:grants': 'readwrite',
      });
      const before = await versionsOf(secret.arn);

      await expect(reconcile(secret, masterArn)).rejects.toThrow(
        /lends at most readonly \(tag dbauth:max-grants\)/,
      );
      expect(await db.userExists(username)).toBe(false);
      expect(await versionsOf(secret.arn)).toEqual(before);
    });

    it('is refused an existing user without dbauth:allow-adopt, and takes it over with it', async () => {
      const masterArn = await masterWith({ ...TEST_CONSENT });
      const username = `theirs_${run}`;
      const password = `theirs-pw-${run}`;
      h.remember(password);
      await db.createLogin(h.master, username, password);
      const secret = await taggedSecret(`dbauth/test/${username}`, username, { 'dbauth:master': masterArn });
      const before = await versionsOf(secret.arn);

      await expect(reconcile(secret, masterArn)).rejects.toThrow(
        `user ${username} exists, and master secret ${masterArn} does not let dbauth take it over`,
      );
      expect(await db.tryAs({ user: username, password, database: h.master.database }, 'SELECT 1')).toBe(
        'ok',
      );
      expect(await versionsOf(secret.arn)).toEqual(before);

      await tagSecret(masterArn, adoptConsent('theirs_'));
      await expect(reconcile(secret, masterArn)).resolves.toEqual(
        expect.objectContaining({ outcomes: { [secret.arn]: 'adopted' } }),
      );
      expect(await db.tryAs({ user: username, password, database: h.master.database }, 'SELECT 1')).not.toBe(
        'ok',
      );
    });
  });
});
