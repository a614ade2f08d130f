import './support/env';
import { TEST_DATABASES } from './support/databases';
import { randomUUID } from 'node:crypto';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { adoptConsent, putMaster, secretsClient } from './support/aws';
import { CustomResourceHarness } from './support/harness';
import { uniqueSuffix } from './support/postgres';

describe.each(TEST_DATABASES)('Custom::DatabaseUser Create and Delete are idempotent on $name', (db) => {
  const h = new CustomResourceHarness('lifecycle', db);
  const run = uniqueSuffix();

  beforeAll(() => h.setUp());
  afterAll(() => h.tearDown());
  h.scanEachTest();

  const describeSecret = (arn: string) => secretsClient().send(new DescribeSecretCommand({ SecretId: arn }));

  it('Delete drops the user and schedules the deletion of its secret', async () => {
    const properties = h.props(`gone_${run}`);
    const created = await h.send('Create', { properties, logicalResourceId: 'gone' });
    expect(created.Status).toBe('SUCCESS');
    const secretArn = created.Data?.SecretArn ?? '';
    expect((await describeSecret(secretArn)).DeletedDate).toBeUndefined();

    const deleted = await h.send('Delete', {
      properties,
      physicalResourceId: created.PhysicalResourceId,
      logicalResourceId: 'gone',
    });
    expect(deleted.Status).toBe('SUCCESS');
    expect(deleted.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(await db.userExists(`gone_${run}`)).toBe(false);
    // Scheduled, not forced: the secret can still be restored within its recovery window.
    expect((await describeSecret(secretArn)).DeletedDate).toBeInstanceOf(Date);
  });

  it('a late Delete leaves the user that another resource made anew under the same id', async () => {
    const username = `reborn_${run}`;
    const properties = h.props(username);
    const first = await h.send('Create', { properties, logicalResourceId: 'first' });
    const firstDelete = {
      properties,
      physicalResourceId: first.PhysicalResourceId,
      logicalResourceId: 'first',
    };
    expect((await h.send('Delete', firstDelete)).Status).toBe('SUCCESS');
    const second = await h.send('Create', { properties, logicalResourceId: 'second' });
    expect(second.PhysicalResourceId).toBe(first.PhysicalResourceId);
    const login = await h.storedLogin(second.Data?.SecretArn ?? '');

    // Lambda delivers the first resource's Delete again (its answer was lost).
    const late = await h.send('Delete', firstDelete);

    expect(late.Status).toBe('SUCCESS');
    expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
    expect((await describeSecret(second.Data?.SecretArn ?? '')).DeletedDate).toBeUndefined();
    expect(h.capture.text).toContain('user is held by another secret now: not dropped');
  });

  it('a resent Create is harmless: same id, same secret, the stored password still logs in', async () => {
    const properties = h.props(`resent_${run}`, { Grants: 'readwrite' });
    const requestId = randomUUID();
    const first = await h.send('Create', { properties, requestId, logicalResourceId: 'resent' });
    expect(first.Status).toBe('SUCCESS');
    const login = await h.storedLogin(first.Data?.SecretArn ?? '');

    // CloudFormation resends the same request when it did not hear back in time.
    const again = await h.send('Create', { properties, requestId, logicalResourceId: 'resent' });
    expect(again.Status).toBe('SUCCESS');
    expect(again.PhysicalResourceId).toBe(first.PhysicalResourceId);
    expect(again.Data).toEqual(first.Data);
    expect(await h.storedLogin(again.Data?.SecretArn ?? '')).toEqual(login);
    expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
    expect(await h.stackSecrets('resent-')).toHaveLength(1);
  });

  it('a resent Delete answers SUCCESS and touches nothing else', async () => {
    const bystander = `bystander_${run}`;
    const bystanderPassword = `bystander-pw-${run}`;
    h.remember(bystanderPassword);
    await db.createLogin(h.master, bystander, bystanderPassword);
    const properties = h.props(`twice_${run}`);
    const created = await h.send('Create', { properties, logicalResourceId: 'twice' });
    const del = { properties, physicalResourceId: created.PhysicalResourceId, logicalResourceId: 'twice' };
    const requestId = randomUUID();

    expect((await h.send('Delete', { ...del, requestId })).Status).toBe('SUCCESS');
    const secretsAfterFirst = await h.stackSecrets();
    const second = await h.send('Delete', { ...del, requestId });
    expect(second.Status).toBe('SUCCESS');
    expect(second.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(await db.userExists(`twice_${run}`)).toBe(false);
    expect(
      await db.tryAs({ ...h.masterLogin, user: bystander, password: bystanderPassword }, 'SELECT 1'),
    ).toBe('ok');
    expect(await h.stackSecrets()).toEqual(secretsAfterFirst);
  });

  it('Delete after a failed Create succeeds without touching the database', async () => {
    // A master of its own: this test makes its password wrong.
    const master = await db.createMaster();
    h.remember(master.password);
    const masterArn = await putMaster(db.masterSecretValue(master));
    const username = `taken_${run}`;
    const takenPassword = `taken-pw-${randomUUID()}`;
    h.remember(takenPassword);
    await db.createLogin(master, username, takenPassword);
    const properties = { MasterSecretArn: masterArn, Username: username, Database: master.database };

    // The user exists and AdoptExistingUser is not set: the Create fails and makes nothing.
    const failed = await h.send('Create', { properties, logicalResourceId: 'taken' });
    expect(failed.Status).toBe('FAILED');
    expect(failed.PhysicalResourceId).toMatch(/^dbauth\/failed-create\//);

    // Now no version of the master secret logs in: a Delete that tried would fail.
    const newMasterPassword = `changed-${randomUUID()}`;
    h.remember(newMasterPassword);
    await db.setPasswordAsAdmin(master.username, newMasterPassword);

    const deleted = await h.send('Delete', {
      properties,
      physicalResourceId: failed.PhysicalResourceId,
      logicalResourceId: 'taken',
    });
    expect(deleted.Status).toBe('SUCCESS');
    expect(deleted.PhysicalResourceId).toBe(failed.PhysicalResourceId);
    const login = { user: username, password: takenPassword, database: master.database };
    expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
  });

  it('AdoptExistingUser takes over a user nobody manages, never one another secret manages', async () => {
    const master = await db.createMaster();
    h.remember(master.password);
    // The database's owner lets dbauth take over users named adopted_...
    const masterArn = await putMaster(db.masterSecretValue(master), adoptConsent('adopted_'));
    const username = `adopted_${run}`;
    const oldPassword = `adopted-pw-${randomUUID()}`;
    h.remember(oldPassword);
    await db.createLogin(master, username, oldPassword);
    const properties = {
      MasterSecretArn: masterArn,
      Username: username,
      Database: master.database,
      AdoptExistingUser: 'true',
    };
    const adopted = await h.send('Create', { properties, logicalResourceId: 'adopted' });
    expect(adopted.Status).toBe('SUCCESS');
    const login = await h.storedLogin(adopted.Data?.SecretArn ?? '');
    expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
    expect(await db.tryAs({ ...login, password: oldPassword }, 'SELECT 1')).not.toBe('ok');

    // A second resource for the same user would take its password from the first at every rotation.
    const second = await h.send('Create', { properties, logicalResourceId: 'adoptedAgain' });
    expect(second.Status).toBe('FAILED');
    expect(second.Reason).toContain(`already managed by dbauth through secret ${adopted.Data?.SecretArn}`);
    expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
    expect(await h.stackSecrets('adoptedAgain-')).toHaveLength(0);
  });
});
