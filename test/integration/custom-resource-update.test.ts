import './support/env';
import { CustomResourceHarness } from './support/harness';
import { pgRoleExists, pgTry, uniqueSuffix, withPgClient } from './support/postgres';

describe('Custom::DatabaseUser Update on PostgreSQL', () => {
  const h = new CustomResourceHarness('update');
  const run = uniqueSuffix();

  beforeAll(async () => {
    await h.setUp();
    await withPgClient(h.masterLogin, async (c) => {
      await c.query('CREATE TABLE items (id serial PRIMARY KEY, name text)');
      await c.query('CREATE SCHEMA extra');
      await c.query('CREATE TABLE extra.notes (id int)');
    });
  });
  afterAll(() => h.tearDown());

  async function created(username: string, extra: Record<string, unknown>) {
    const properties = h.props(username, extra);
    const response = await h.send('Create', { properties, logicalResourceId: username.split('_')[0] });
    expect(response.Status).toBe('SUCCESS');
    return { properties, response, login: await h.storedLogin(response.Data?.SecretArn ?? '') };
  }

  it('changes grants in place: readonly to readwrite and back, same PhysicalResourceId', async () => {
    const username = `flip_${run}`;
    const { properties, response, login } = await created(username, { Grants: 'readonly' });
    expect(await pgTry(login, `INSERT INTO items (name) VALUES ('no')`)).toBe('42501');

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
    expect(await pgTry(login, `INSERT INTO items (name) VALUES ('yes')`)).toBe('ok');

    const down = await h.send('Update', {
      properties,
      oldProperties: readwrite,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'flip',
    });
    expect(down.Status).toBe('SUCCESS');
    expect(down.PhysicalResourceId).toBe(response.PhysicalResourceId);
    expect(await pgTry(login, `INSERT INTO items (name) VALUES ('no again')`)).toBe('42501');
    expect(await pgTry(login, 'SELECT * FROM items')).toBe('ok');
  });

  it('grants on a schema added to Schemas and revokes on one removed', async () => {
    const username = `schemas_${run}`;
    const { properties, response, login } = await created(username, { Grants: 'readonly' });
    expect(await pgTry(login, 'SELECT * FROM extra.notes')).toBe('42501');

    const both = { ...properties, Schemas: ['public', 'extra'] };
    const added = await h.send('Update', {
      properties: both,
      oldProperties: properties,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'schemas',
    });
    expect(added.Status).toBe('SUCCESS');
    expect(added.PhysicalResourceId).toBe(response.PhysicalResourceId);
    expect(await pgTry(login, 'SELECT * FROM extra.notes')).toBe('ok');

    const publicGone = { ...properties, Schemas: ['extra'] };
    const removed = await h.send('Update', {
      properties: publicGone,
      oldProperties: both,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'schemas',
    });
    expect(removed.Status).toBe('SUCCESS');
    expect(await pgTry(login, 'SELECT * FROM items')).toBe('42501');
    expect(await pgTry(login, 'SELECT * FROM extra.notes')).toBe('ok');
  });

  it('a new Username is a replacement; the Delete of the old id drops only the old user', async () => {
    const oldName = `before_${run}`;
    const newName = `after_${run}`;
    const { properties, response, login: oldLogin } = await created(oldName, { Grants: 'readonly' });

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
    expect(await pgTry(newLogin, 'SELECT * FROM items')).toBe('ok');
    // CloudFormation has not sent the Delete for the old resource yet: the old user still works.
    expect(await pgTry(oldLogin, 'SELECT * FROM items')).toBe('ok');

    const deleted = await h.send('Delete', {
      properties,
      physicalResourceId: response.PhysicalResourceId,
      logicalResourceId: 'before',
    });
    expect(deleted.Status).toBe('SUCCESS');
    expect(await pgRoleExists(oldName)).toBe(false);
    expect(await pgRoleExists(newName)).toBe(true);
    expect(await pgTry(newLogin, 'SELECT * FROM items')).toBe('ok');
    expect(await h.secretOf(up.Data?.SecretArn ?? '')).toBeDefined();
    expect(await h.secretOf(response.Data?.SecretArn ?? '')).toBeUndefined();
  });

  it('a replacement keeping an explicit SecretName fails and changes nothing', async () => {
    const secretName = `dbauth-test/${h.stackName}/named-${run}`;
    const oldName = `named_${run}`;
    const { properties, response, login } = await created(oldName, { SecretName: secretName });

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
    expect(await pgRoleExists(`renamed_${run}`)).toBe(false);
    expect(await h.storedLogin(response.Data?.SecretArn ?? '')).toEqual(login);
    expect(await pgTry(login, 'SELECT 1')).toBe('ok');
  });

  it('never prints or answers with a password it used', () => {
    expect(h.leaks()).toEqual({ output: [], responses: [] });
  });
});
