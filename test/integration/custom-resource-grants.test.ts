import './support/env';
import { TEST_DATABASES, type TestMaster } from './support/databases';
import { secretStore } from './support/aws';
import { CfnResponseServer } from './support/cfn-server';
import { cfnEvent, testStackId } from './support/cfn-events';
import { customResourceHandler, lambdaContext } from './support/deps';
import { uniqueSuffix } from './support/postgres';
import { parseAppSecret } from '../../lib/secrets/secret-value';
import { OutputCapture, scanEachTest } from './support/capture';

describe.each(TEST_DATABASES)('Custom::DatabaseUser grants on $name', (db) => {
  const server = new CfnResponseServer();
  let master: TestMaster;
  let masterArn: string;
  const run = uniqueSuffix();
  const stackId = testStackId('grants');

  beforeAll(async () => {
    await server.start();
    master = await db.createMaster();
    masterArn = await db.putMasterSecret(master);
    await db.asMaster(master, 'CREATE TABLE before_grant (id int)');
  });
  afterAll(() => server.stop());
  scanEachTest(
    new OutputCapture(),
    () => [master.password],
    () => server.received.map((r) => r.raw),
  );

  async function createUser(username: string, grants: string) {
    const response = await customResourceHandler()(
      cfnEvent('Create', server, {
        properties: {
          MasterSecretArn: masterArn,
          Username: username,
          Database: master.database,
          Grants: grants,
        },
        stackId,
        logicalResourceId: username.split('_')[0] ?? 'user',
      }),
      lambdaContext(),
    );
    expect(response.Status).toBe('SUCCESS');
    const arn = response.Data?.SecretArn ?? '';
    const password = parseAppSecret(
      arn,
      await secretStore().getString(arn, { stage: 'AWSCURRENT' }),
    ).password.reveal();
    return { response, login: { user: username, password, database: master.database } };
  }

  it('gives readonly SELECT but not INSERT, also on tables created after the grant', async () => {
    const { login } = await createUser(`ro_user_${run}`, 'readonly');
    await db.asMaster(master, 'CREATE TABLE after_ro (id int)');
    expect(await db.tryAs(login, 'SELECT * FROM before_grant')).toBe('ok');
    expect(await db.tryAs(login, 'SELECT * FROM after_ro')).toBe('ok');
    expect(await db.tryAs(login, 'INSERT INTO before_grant VALUES (1)')).toBe(db.denied);
  });

  it('gives readwrite INSERT but not CREATE', async () => {
    const { login } = await createUser(`rw_user_${run}`, 'readwrite');
    expect(await db.tryAs(login, 'INSERT INTO before_grant VALUES (1)')).toBe('ok');
    expect(await db.tryAs(login, 'CREATE TABLE rw_made (id int)')).toBe(db.denied);
  });

  it('lets owner CREATE TABLE', async () => {
    const { login } = await createUser(`owner_user_${run}`, 'owner');
    expect(await db.tryAs(login, 'CREATE TABLE owner_made (id int)')).toBe('ok');
  });

  it('lets readonly and readwrite users use the tables an owner user creates, whichever came first', async () => {
    // An owner login is what a migration job uses: its tables are its own, not the master's.
    const early = await createUser(`early_ro_${run}`, 'readonly');
    const { login: owner } = await createUser(`migrator_${run}`, 'owner');
    expect(await db.tryAs(owner, 'CREATE TABLE made_first (id int)')).toBe('ok');
    const late = await createUser(`late_rw_${run}`, 'readwrite');
    expect(await db.tryAs(owner, 'CREATE TABLE made_last (id int)')).toBe('ok');
    for (const table of ['made_first', 'made_last']) {
      expect(await db.tryAs(early.login, `SELECT * FROM ${table}`)).toBe('ok');
      expect(await db.tryAs(early.login, `INSERT INTO ${table} VALUES (1)`)).toBe(db.denied);
      expect(await db.tryAs(late.login, `INSERT INTO ${table} VALUES (1)`)).toBe('ok');
      expect(await db.tryAs(late.login, `SELECT * FROM ${table}`)).toBe('ok');
    }
    // The default privileges the owner login gives them do not keep them from being dropped.
    for (const { response, login } of [early, late]) {
      const deleted = await customResourceHandler()(
        cfnEvent('Delete', server, {
          properties: { MasterSecretArn: masterArn, Username: login.user, Database: master.database },
          physicalResourceId: response.PhysicalResourceId,
          stackId,
          logicalResourceId: login.user.split('_')[0] ?? 'user',
        }),
        lambdaContext(),
      );
      expect(deleted.Status).toBe('SUCCESS');
      expect(await db.userExists(login.user)).toBe(false);
    }
  });

  it('Retain keeps both user and secret on Delete', async () => {
    const { response } = await createUser(`kept_user_${run}`, 'readonly');
    const deleted = await customResourceHandler()(
      cfnEvent('Delete', server, {
        properties: {
          MasterSecretArn: masterArn,
          Username: `kept_user_${run}`,
          Database: master.database,
          OnDelete: 'Retain',
        },
        physicalResourceId: response.PhysicalResourceId,
        stackId,
        logicalResourceId: 'kept',
      }),
      lambdaContext(),
    );
    expect(deleted.Status).toBe('SUCCESS');
    expect(await db.userExists(`kept_user_${run}`)).toBe(true);
    expect(await secretStore().find(response.Data?.SecretArn ?? '')).toBeDefined();
  });
});
