import './support/env';
import { postgres } from './support/databases';
import { testEnv } from './support/env';
import { CustomResourceHarness } from './support/harness';
import { motoRotationFunctionArn } from './support/lambda';
import { asPgAdmin, pgMemberships, uniqueSuffix, withPgClient } from './support/postgres';
import { rotate, secretAt } from './support/rotation';
import { secretStore, secretsClient, tagSecret } from './support/aws';
import { secretEvent, secretEventsHandler } from './support/secret-events';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';

/**
 * PostgreSQL 16 changed what CREATEROLE gives a master (ADMIN OPTION on the roles it creates,
 * not their privileges). This file runs on every major of the matrix (jest.config.js) with a
 * master made as RDS makes it, and checks the whole life of a user there, and that the master
 * holds no more than before when it is over.
 */
describe(`the life of a user on ${postgres.name}, with a master made as RDS makes it`, () => {
  const h = new CustomResourceHarness('versions');
  const run = uniqueSuffix();
  let rotationLambdaArn: string;

  beforeAll(async () => {
    await h.setUp();
    // The database's owner lets dbauth take over the hand-made roles below.
    await tagSecret(h.masterArn, { 'dbauth:allow-adopt': 'foreign_ tagged_foreign_ granted_' });
    rotationLambdaArn = await motoRotationFunctionArn();
  });
  afterAll(() => h.tearDown());
  h.scanEachTest();

  const send = (type: 'Create' | 'Update' | 'Delete', options: Parameters<typeof h.send>[1]) =>
    h.send(type, { ...options, deps: { rotationLambdaArn } });

  const memberships = () => pgMemberships(h.master.username);
  const ownerOf = (table: string) =>
    asPgAdmin(
      async (admin) =>
        (
          await admin.query<{ owner: string }>(
            'SELECT tableowner AS owner FROM pg_tables WHERE tablename = $1',
            [table],
          )
        ).rows[0]?.owner,
      h.master.database,
    );

  /** Logs in as the secret's AWSCURRENT and runs `sql`: 'ok' or the SQLSTATE. */
  async function asCurrent(secretArn: string, sql: string): Promise<string> {
    const current = await secretAt(secretArn, 'AWSCURRENT');
    h.remember(current.password.reveal());
    return postgres.tryAs(
      { user: current.username, password: current.password.reveal(), database: h.master.database },
      sql,
    );
  }

  it.each([
    ['single', { DropOwnedObjects: 'true' }],
    ['alternating', { ReassignOwnedTo: 'heir' }],
  ] as const)(
    'creates, rotates (%s), updates and deletes a user that owns a table, and the master ends as it began',
    async (strategy, onDelete) => {
      const heir = `heir_${strategy}_${run}`;
      await postgres.createLogin(h.master, heir, `heir-pw-${run}`);
      h.remember(`heir-pw-${run}`);
      const before = await memberships();

      const username = `life_${strategy}_${run}`;
      const table = `${username}_table`;
      const rotation = { Strategy: strategy, AutomaticallyAfterDays: '30' };
      const properties = h.props(username, { Grants: 'owner', Rotation: rotation });
      const created = await send('Create', { properties, logicalResourceId: strategy });
      expect(created.Status).toBe('SUCCESS');
      const secretArn = created.Data?.SecretArn ?? '';
      expect(await asCurrent(secretArn, `CREATE TABLE ${table} (id int)`)).toBe('ok');

      for (let round = 0; round < 2; round += 1) {
        await rotate(secretArn);
        expect(await asCurrent(secretArn, `INSERT INTO ${table} VALUES (${round})`)).toBe('ok');
      }

      const readwrite = { ...properties, Grants: 'readwrite' };
      const updated = await send('Update', {
        properties: readwrite,
        oldProperties: properties,
        physicalResourceId: created.PhysicalResourceId,
        logicalResourceId: strategy,
      });
      expect(updated.Status).toBe('SUCCESS');
      expect(await asCurrent(secretArn, `CREATE TABLE ${table}_2 (id int)`)).toBe(postgres.denied);
      expect(await asCurrent(secretArn, `SELECT * FROM ${table}`)).toBe('ok');

      const deleteProperties = {
        ...readwrite,
        ...('ReassignOwnedTo' in onDelete ? { ReassignOwnedTo: heir } : onDelete),
      };
      const deleted = await send('Delete', {
        properties: deleteProperties,
        physicalResourceId: created.PhysicalResourceId,
        logicalResourceId: strategy,
      });
      expect(deleted.Status).toBe('SUCCESS');
      expect(await postgres.userExists(username)).toBe(false);
      expect(await postgres.userExists(`${username}_clone`)).toBe(false);
      expect(await ownerOf(table)).toBe('ReassignOwnedTo' in onDelete ? heir : undefined);
      expect(await memberships()).toEqual(before);
    },
  );

  it('refuses to delete a user that owns objects without ReassignOwnedTo or DropOwnedObjects, and changes nothing', async () => {
    const { properties, response, login } = await h.create(`keeps_${run}`, { Grants: 'owner' });
    expect(await postgres.tryAs(login, `CREATE TABLE keeps_${run}_table (id int)`)).toBe('ok');
    const before = await memberships();

    const deleted = await send('Delete', {
      properties,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'keeps',
    });

    expect(deleted.Status).toBe('FAILED');
    expect(deleted.Reason).toMatch(/owns 1 database object.*ReassignOwnedTo.*DropOwnedObjects/);
    expect(await postgres.tryAs(login, `SELECT * FROM keeps_${run}_table`)).toBe('ok');
    expect(await memberships()).toEqual(before);
  });

  it('lets the clone act as the user: both own what either creates, and other users reach it', async () => {
    const reader = await h.create(`reader_${run}`, { Grants: 'readonly' });
    const owner = `pair_${run}`;
    const created = await send('Create', {
      properties: h.props(owner, {
        Grants: 'owner',
        Rotation: { Strategy: 'alternating', AutomaticallyAfterDays: '30' },
      }),
      logicalResourceId: 'pair',
    });
    expect(created.Status).toBe('SUCCESS');
    const secretArn = created.Data?.SecretArn ?? '';
    expect(await asCurrent(secretArn, `CREATE TABLE by_user_${run} (id int)`)).toBe('ok');
    await rotate(secretArn);
    expect((await secretAt(secretArn, 'AWSCURRENT')).username).toBe(`${owner}_clone`);
    expect(await asCurrent(secretArn, `CREATE TABLE by_clone_${run} (id int)`)).toBe('ok');
    const writer = await h.create(`writer_${run}`, { Grants: 'readwrite' });

    const previous = await secretAt(secretArn, 'AWSPREVIOUS');
    h.remember(previous.password.reveal());
    const asUser = {
      user: previous.username,
      password: previous.password.reveal(),
      database: h.master.database,
    };
    expect(previous.username).toBe(owner);
    for (const table of [`by_user_${run}`, `by_clone_${run}`]) {
      expect(await ownerOf(table)).toBe(owner);
      expect(await postgres.tryAs(asUser, `INSERT INTO ${table} VALUES (1)`)).toBe('ok');
      expect(await asCurrent(secretArn, `INSERT INTO ${table} VALUES (2)`)).toBe('ok');
      expect(await postgres.tryAs(reader.login, `SELECT * FROM ${table}`)).toBe('ok');
      expect(await postgres.tryAs(reader.login, `INSERT INTO ${table} VALUES (3)`)).toBe(postgres.denied);
      expect(await postgres.tryAs(writer.login, `INSERT INTO ${table} VALUES (4)`)).toBe('ok');
    }
    const clone = await secretAt(secretArn, 'AWSCURRENT');
    const acting = await withPgClient(
      { user: clone.username, password: clone.password.reveal(), database: h.master.database },
      async (client) => (await client.query<{ who: string }>('SELECT current_user AS who')).rows[0]?.who,
    );
    expect(acting).toBe(owner);
  });

  describe('adopting a role the master did not create', () => {
    // PostgreSQL 16+ lets the master manage only roles it holds ADMIN OPTION on; 15 and older,
    // any role but a superuser. Either way the role below is one it may not manage.
    const unmanageable = testEnv.pg.major >= 16 ? 'LOGIN' : 'LOGIN SUPERUSER';

    async function handMadeRole(name: string, password: string): Promise<void> {
      h.remember(password);
      await asPgAdmin((admin) => admin.query(`CREATE ROLE ${name} ${unmanageable} PASSWORD '${password}'`));
    }

    it('is refused with the GRANT that would allow it, and changes nothing', async () => {
      const name = `foreign_${run}`;
      const password = `foreign-pw-${run}`;
      await handMadeRole(name, password);
      const before = await memberships();

      const created = await send('Create', {
        properties: h.props(name, { AdoptExistingUser: 'true' }),
        logicalResourceId: 'foreign',
      });

      expect(created.Status).toBe('FAILED');
      expect(created.Reason).toContain(`may not alter or drop user ${name}`);
      expect(created.Reason).toContain(`GRANT "${name}" TO "${h.master.username}" WITH ADMIN OPTION`);
      const login = { user: name, password, database: h.master.database };
      expect(await postgres.tryAs(login, 'SELECT 1')).toBe('ok');
      expect(await memberships()).toEqual(before);
      expect(await h.stackSecrets('foreign')).toEqual([]);
    });

    it('through a tagged secret is refused too, before the secret gets a password', async () => {
      const name = `tagged_foreign_${run}`;
      const password = `tagged-foreign-pw-${run}`;
      await handMadeRole(name, password);
      const secret = await secretsClient().send(
        new CreateSecretCommand({
          Name: `dbauth/test/app/${name}`,
          SecretString: JSON.stringify({ username: name }),
          Tags: [{ Key: 'dbauth:master', Value: h.masterArn }],
        }),
      );
      const arn = secret.ARN ?? '';
      const before = await secretStore().describe(arn);

      const handle = secretEventsHandler();
      await expect(
        handle(
          secretEvent('create-secret', {
            secretArn: arn,
            secretName: `dbauth/test/app/${name}`,
            masterArn: h.masterArn,
          }),
        ),
      ).rejects.toThrow(`GRANT "${name}" TO "${h.master.username}" WITH ADMIN OPTION`);

      const after = await secretStore().describe(arn);
      expect(after.versions).toEqual(before.versions);
      expect(after.tags).toEqual(before.tags);
      expect(await postgres.tryAs({ user: name, password, database: h.master.database }, 'SELECT 1')).toBe(
        'ok',
      );
    });

    it('works once the master holds ADMIN OPTION on the role, and Delete gives it back', async () => {
      const name = `granted_${run}`;
      const password = `granted-pw-${run}`;
      h.remember(password);
      await asPgAdmin((admin) => admin.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`));
      const before = await memberships();
      await asPgAdmin((admin) => admin.query(`GRANT ${name} TO ${h.master.username} WITH ADMIN OPTION`));

      const { properties, response, login } = await h.create(name, { AdoptExistingUser: 'true' });
      expect(login.password).not.toBe(password);
      expect(await postgres.tryAs(login, 'SELECT 1')).toBe('ok');
      const deleted = await send('Delete', {
        properties,
        physicalResourceId: response.PhysicalResourceId,
        logicalResourceId: name.split('_')[0],
      });

      expect(deleted.Status).toBe('SUCCESS');
      expect(await postgres.userExists(name)).toBe(false);
      expect(await memberships()).toEqual(before);
    });
  });
});
