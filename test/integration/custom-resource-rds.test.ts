import './support/env';
import { testEnv } from './support/env';
import { CustomResourceHarness } from './support/harness';
import { pgRoleExists, pgTry, uniqueSuffix } from './support/postgres';
import {
  createRdsCluster,
  createRdsInstance,
  putManagedMasterLogin,
  resolveRdsNamesToLoopback,
  type RdsDatabase,
} from './support/rds';

/**
 * An RDS-managed master secret says nothing of where the database is: dbauth must ask RDS.
 * moto's RDS makes the secret (name, shape and tags as RDS makes them) and answers
 * DescribeDBInstances / DescribeDBClusters with an endpoint name of its own, which resolves
 * nowhere. The tests that must reach the database resolve those names to the local
 * PostgreSQL; the port comes from RDS (the instance was created with the local port).
 */
describe('Custom::DatabaseUser with an RDS-managed master secret', () => {
  const h = new CustomResourceHarness('rds');
  const run = uniqueSuffix();
  let restoreDns: (() => void) | undefined;

  beforeAll(() => h.setUp());
  afterAll(() => h.tearDown());
  h.scanEachTest();
  afterEach(() => restoreDns?.());

  async function managed(make: (port: number) => Promise<RdsDatabase>, port = testEnv.pg.port) {
    const db = await make(port);
    await putManagedMasterLogin(db.masterSecretArn, h.master);
    return db;
  }

  async function createsThroughRds(db: RdsDatabase, username: string, engine: string) {
    restoreDns = resolveRdsNamesToLoopback();
    // Nothing but the secret and the database name: host, port and engine come from RDS.
    const properties = {
      MasterSecretArn: db.masterSecretArn,
      Username: username,
      Database: h.master.database,
    };
    const created = await h.send('Create', { properties, logicalResourceId: username.split('_')[0] });
    expect(created.Reason).toBe('OK');
    expect(created.PhysicalResourceId).toBe(`dbauth/postgresql/${db.address}/${db.port}/${username}`);
    expect(created.Data).toMatchObject({ Host: db.address, Port: String(db.port), Engine: engine });
    const login = await h.storedLogin(created.Data?.SecretArn ?? '');
    expect(await pgTry(login, 'SELECT 1')).toBe('ok');

    // The Delete finds the engine through RDS again (the id names host and port only).
    const deleted = await h.send('Delete', {
      properties,
      physicalResourceId: created.PhysicalResourceId,
      logicalResourceId: username.split('_')[0],
    });
    expect(deleted.Status).toBe('SUCCESS');
    expect(await pgRoleExists(username)).toBe(false);
  }

  it('finds an instance through DescribeDBInstances and creates the user there', async () => {
    const db = await managed(createRdsInstance);
    expect(db.address).toMatch(/\.rds\.amazonaws\.com$/);
    await createsThroughRds(db, `inst_${run}`, 'postgres');
  });

  it('finds a cluster through DescribeDBClusters and creates the user there', async () => {
    const db = await managed(createRdsCluster);
    await createsThroughRds(db, `clus_${run}`, 'aurora-postgresql');
  });

  it('tries the endpoint RDS names, and says so when it cannot be reached', async () => {
    // A port no one listens on: only RDS could have named it.
    const db = await managed(createRdsInstance, 1);
    const response = await h.send('Create', {
      properties: {
        MasterSecretArn: db.masterSecretArn,
        Username: `none_${run}`,
        Database: h.master.database,
      },
      logicalResourceId: 'none',
    });
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(
      new RegExp(`database at ${db.address.replace(/\./g, '\\.')}:1 is unreachable`),
    );
    expect(await h.stackSecrets('none-')).toEqual([]);
  });

  it('refuses Host and Port that name another server than the RDS instance of the master secret', async () => {
    const db = await managed(createRdsInstance);
    const username = `over_${run}`;
    const properties = {
      MasterSecretArn: db.masterSecretArn,
      Username: username,
      Database: h.master.database,
      Host: testEnv.pg.host,
      Port: String(testEnv.pg.port),
      Engine: 'postgres',
    };
    // The RDS endpoint is the only place this master's password may go: the lookup happens,
    // and the override that points elsewhere is refused before any connection.
    const created = await h.send('Create', { properties, logicalResourceId: 'over' });
    expect(created.Status).toBe('FAILED');
    expect(created.Reason).toMatch(
      /Host\/Port name another server than the master secret's \(.*rds\.amazonaws\.com/,
    );
    expect(await pgRoleExists(username)).toBe(false);
  });
});
