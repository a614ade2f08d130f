import './support/env';
import { mariadb, postgres, TEST_DATABASES } from './support/databases';
import { CustomResourceHarness } from './support/harness';
import { asPgAdmin, uniqueSuffix } from './support/postgres';

describe.each(TEST_DATABASES)('Custom::DatabaseUser Update on $name', (db) => {
  const h = new CustomResourceHarness('update', db);
  const run = uniqueSuffix();

  beforeAll(async () => {
    await h.setUp();
    await db.asMaster(h.master, db.itemsTable);
  });
  afterAll(() => h.tearDown());
  h.scanEachTest();

  it('changes grants in place: readonly to readwrite and back, same PhysicalResourceId', async () => {
    const username = `flip_${run}`;
    const { properties, response, login } = await h.create(username, { Grants: 'readonly' });
    expect(await db.tryAs(login, `INSERT INTO items (name) VALUES ('no')`)).toBe(db.denied);

    const readwrite = { ...properties, Grants: 'readwrite' };
    const up = await h.send('Update', {
      properties: readwrite,
      oldProperties: properties,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'flip',
    });
    expect(up.Status).toBe('SUCCESS');
    expect(up.PhysicalResourceId).toBe(response.PhysicalResourceId);
    expect(up.Data?.SecretArn).toBe(response.Data?.SecretArn);
    expect(await db.tryAs(login, `INSERT INTO items (name) VALUES ('yes')`)).toBe('ok');

    const down = await h.send('Update', {
      properties,
      oldProperties: readwrite,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'flip',
    });
    expect(down.Status).toBe('SUCCESS');
    expect(down.PhysicalResourceId).toBe(response.PhysicalResourceId);
    expect(await db.tryAs(login, `INSERT INTO items (name) VALUES ('no again')`)).toBe(db.denied);
    expect(await db.tryAs(login, 'SELECT * FROM items')).toBe('ok');
  });

  it('moves the user to another database in place: grants there, none left here, same id and secret', async () => {
    const second = `${h.master.database}_moved`;
    await db.asMaster(h.master, `CREATE DATABASE ${second}`);
    await db.asMaster({ ...h.master, database: second }, db.itemsTable);
    const { properties, response, login } = await h.create(`mover_${run}`, { Grants: 'readwrite' });
    expect(await db.tryAs(login, `INSERT INTO items (name) VALUES ('here')`)).toBe('ok');

    const up = await h.send('Update', {
      properties: { ...properties, Database: second },
      oldProperties: properties,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'mover',
    });
    expect(up.Status).toBe('SUCCESS');
    expect(up.PhysicalResourceId).toBe(response.PhysicalResourceId);
    expect(up.Data).toMatchObject({ SecretArn: response.Data?.SecretArn, Database: second });
    const moved = await h.storedLogin(up.Data?.SecretArn ?? '');
    expect(moved.database).toBe(second);
    expect(await db.tryAs(moved, `INSERT INTO items (name) VALUES ('there')`)).toBe('ok');
    expect(await db.tryAs({ ...moved, database: h.master.database }, 'SELECT * FROM items')).not.toBe('ok');
    if (db.family === 'postgresql') {
      // Its own CONNECT on the old database went too (PUBLIC's, if the server keeps it, is not dbauth's).
      const acl = await asPgAdmin((admin) =>
        admin.query<{ acl: string }>('SELECT datacl::text AS acl FROM pg_database WHERE datname = $1', [
          h.master.database,
        ]),
      );
      expect(acl.rows[0]?.acl).not.toContain(`mover_${run}=`);
    }
  });

  it('a new Username is a replacement; the Delete of the old id drops only the old user', async () => {
    const oldName = `before_${run}`;
    const newName = `after_${run}`;
    const { properties, response, login: oldLogin } = await h.create(oldName, { Grants: 'readonly' });

    const renamed = { ...properties, Username: newName };
    const up = await h.send('Update', {
      properties: renamed,
      oldProperties: properties,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'before',
    });
    expect(up.Status).toBe('SUCCESS');
    expect(up.PhysicalResourceId).not.toBe(response.PhysicalResourceId);
    expect(up.PhysicalResourceId).toMatch(new RegExp(`/${newName}$`));
    expect(up.Data?.SecretArn).not.toBe(response.Data?.SecretArn);
    const newLogin = await h.storedLogin(up.Data?.SecretArn ?? '');
    expect(newLogin.user).toBe(newName);
    expect(await db.tryAs(newLogin, 'SELECT * FROM items')).toBe('ok');
    // CloudFormation has not sent the Delete for the old resource yet: the old user still works.
    expect(await db.tryAs(oldLogin, 'SELECT * FROM items')).toBe('ok');

    const deleted = await h.send('Delete', {
      properties,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'before',
    });
    expect(deleted.Status).toBe('SUCCESS');
    expect(await db.userExists(oldName)).toBe(false);
    expect(await db.userExists(newName)).toBe(true);
    expect(await db.tryAs(newLogin, 'SELECT * FROM items')).toBe('ok');
    expect(await h.secretOf(up.Data?.SecretArn ?? '')).toBeDefined();
    expect(await h.secretOf(response.Data?.SecretArn ?? '')).toBeUndefined();
  });

  it('a replacement keeping an explicit SecretName fails and changes nothing', async () => {
    const secretName = `dbauth/${h.stackName}/named-${run}`;
    const oldName = `named_${run}`;
    const { properties, response, login } = await h.create(oldName, { SecretName: secretName });

    const renamed = { ...properties, Username: `renamed_${run}` };
    const up = await h.send('Update', {
      properties: renamed,
      oldProperties: properties,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'named',
    });
    // One name cannot hold two resources' secrets: the old resource's Delete would take it.
    expect(up.Status).toBe('FAILED');
    expect(up.Reason).toMatch(/SecretName/);
    expect(up.PhysicalResourceId).toBe(response.PhysicalResourceId);
    expect(await db.userExists(`renamed_${run}`)).toBe(false);
    expect(await h.storedLogin(response.Data?.SecretArn ?? '')).toEqual(login);
    expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
  });
});

/** Schemas exist inside a PostgreSQL database; MySQL has none, so there they change nothing. */
describe('Custom::DatabaseUser Update of Schemas on PostgreSQL', () => {
  const db = postgres;
  const h = new CustomResourceHarness('update-schemas', db);
  const run = uniqueSuffix();

  beforeAll(async () => {
    await h.setUp();
    await db.asMaster(h.master, db.itemsTable, 'CREATE SCHEMA extra', 'CREATE TABLE extra.notes (id int)');
  });
  afterAll(() => h.tearDown());
  h.scanEachTest();

  it('grants on a schema added to Schemas and revokes on one removed', async () => {
    const username = `schemas_${run}`;
    const { properties, response, login } = await h.create(username, { Grants: 'readonly' });
    expect(await db.tryAs(login, 'SELECT * FROM extra.notes')).toBe(db.denied);

    const both = { ...properties, Schemas: ['public', 'extra'] };
    const added = await h.send('Update', {
      properties: both,
      oldProperties: properties,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'schemas',
    });
    expect(added.Status).toBe('SUCCESS');
    expect(added.PhysicalResourceId).toBe(response.PhysicalResourceId);
    expect(await db.tryAs(login, 'SELECT * FROM extra.notes')).toBe('ok');

    const publicGone = { ...properties, Schemas: ['extra'] };
    const removed = await h.send('Update', {
      properties: publicGone,
      oldProperties: both,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'schemas',
    });
    expect(removed.Status).toBe('SUCCESS');
    expect(await db.tryAs(login, 'SELECT * FROM items')).toBe(db.denied);
    expect(await db.tryAs(login, 'SELECT * FROM extra.notes')).toBe('ok');
  });
});

describe('Custom::DatabaseUser Update of Schemas on MariaDB', () => {
  const db = mariadb;
  const h = new CustomResourceHarness('update-schemas', db);
  const run = uniqueSuffix();

  beforeAll(async () => {
    await h.setUp();
    await db.asMaster(h.master, db.itemsTable);
  });
  afterAll(() => h.tearDown());
  h.scanEachTest();

  it('ignores Schemas: dropping one of two keeps every grant, and a privilege diff still applies', async () => {
    const properties = h.props(`schemas_${run}`, { Grants: 'readonly', Schemas: ['public', 'extra'] });
    const response = await h.send('Create', { properties, logicalResourceId: 'schemas' });
    expect(response.Status).toBe('SUCCESS');
    const login = await h.storedLogin(response.Data?.SecretArn ?? '');

    const fewer = { ...properties, Schemas: ['extra'], Grants: 'readwrite' };
    const up = await h.send('Update', {
      properties: fewer,
      oldProperties: properties,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'schemas',
    });
    expect(up.Status).toBe('SUCCESS');
    expect(await db.tryAs(login, 'SELECT * FROM items')).toBe('ok');
    expect(await db.tryAs(login, `INSERT INTO items (name) VALUES ('yes')`)).toBe('ok');
  });
});
