import './support/env';
import { postgres } from './support/databases';
import { CustomResourceHarness } from './support/harness';
import { asPgAdmin, pgRoleExists, pgTry, uniqueSuffix, withPgClient } from './support/postgres';

describe(`Custom::DatabaseUser Delete of a user that owns objects on ${postgres.name}`, () => {
  const h = new CustomResourceHarness('owned');
  const run = uniqueSuffix();

  beforeAll(() => h.setUp());
  afterAll(() => h.tearDown());
  h.scanEachTest();

  const ownerOf = (table: string) =>
    asPgAdmin(
      async (admin) =>
        (
          await admin.query<{ tableowner: string }>('SELECT tableowner FROM pg_tables WHERE tablename = $1', [
            table,
          ])
        ).rows[0]?.tableowner,
      h.master.database,
    );

  /** An `owner` user that has made a table of its own, logged in with its stored password. */
  async function userWithTable(name: string) {
    const properties = h.props(`${name}_${run}`, { Grants: 'owner' });
    const created = await h.send('Create', { properties, logicalResourceId: name });
    expect(created.Status).toBe('SUCCESS');
    const login = await h.storedLogin(created.Data?.SecretArn ?? '');
    const table = `${name}_table_${run}`;
    expect(await pgTry(login, `CREATE TABLE ${table} (id int)`)).toBe('ok');
    return { properties, created, login, table };
  }

  const deleteWith = (
    user: Awaited<ReturnType<typeof userWithTable>>,
    name: string,
    extra: Record<string, unknown> = {},
  ) =>
    h.send('Delete', {
      properties: { ...user.properties, ...extra },
      physicalResourceId: user.created.PhysicalResourceId,
      logicalResourceId: name,
    });

  it('fails without ReassignOwnedTo or DropOwnedObjects, names both, and keeps the user', async () => {
    const user = await userWithTable('keeper');
    const deleted = await deleteWith(user, 'keeper');
    expect(deleted.Status).toBe('FAILED');
    expect(deleted.Reason).toMatch(/owns 1 database object/);
    expect(deleted.Reason).toMatch(/ReassignOwnedTo/);
    expect(deleted.Reason).toMatch(/DropOwnedObjects/);
    // A failed Delete keeps the resource as it was: same id, user, secret and table.
    expect(deleted.PhysicalResourceId).toBe(user.created.PhysicalResourceId);
    expect(await pgTry(user.login, `SELECT * FROM ${user.table}`)).toBe('ok');
    expect(await h.secretOf(user.created.Data?.SecretArn ?? '')).toBeDefined();
  });

  it('with ReassignOwnedTo hands the objects to that role and drops the user', async () => {
    const heir = `heir_${run}`;
    await withPgClient(h.masterLogin, (c) => c.query(`CREATE ROLE ${heir} NOLOGIN`));
    const user = await userWithTable('leaver');
    const deleted = await deleteWith(user, 'leaver', { ReassignOwnedTo: heir });
    expect(deleted.Status).toBe('SUCCESS');
    expect(await pgRoleExists(user.login.user)).toBe(false);
    expect(await ownerOf(user.table)).toBe(heir);
  });

  it('with DropOwnedObjects drops the objects with the user', async () => {
    const user = await userWithTable('dropper');
    const deleted = await deleteWith(user, 'dropper', { DropOwnedObjects: 'true' });
    expect(deleted.Status).toBe('SUCCESS');
    expect(await pgRoleExists(user.login.user)).toBe(false);
    expect(await ownerOf(user.table)).toBeUndefined();
  });
});
