import './support/env';
import { adoptConsent, putMaster, secretStore } from './support/aws';
import { TEST_DATABASES } from './support/databases';
import { FaultProxy } from './support/fault-proxy';
import { CustomResourceHarness } from './support/harness';
import { uniqueSuffix } from './support/postgres';

describe.each(TEST_DATABASES)('Custom::DatabaseUser when the database dies mid-Create on $name', (db) => {
  const h = new CustomResourceHarness('faults', db);
  const proxy = new FaultProxy({ host: db.host, port: db.port });
  const run = uniqueSuffix();
  // The first statement of the grants, sent right after the user was created.
  const firstGrant = db.family === 'postgresql' ? 'GRANT CONNECT ON DATABASE' : 'GRANT SELECT';
  let masterArn: string;

  beforeAll(async () => {
    await h.setUp();
    await proxy.start();
    masterArn = await putMaster(
      { ...db.masterSecretValue(h.master), port: proxy.port },
      adoptConsent('adopted_'),
    );
  });
  afterAll(async () => {
    await proxy.stop();
    await h.tearDown();
  });
  h.scanEachTest();
  afterEach(() => proxy.revive());

  const props = (username: string) => ({ ...h.props(username), MasterSecretArn: masterArn });

  it('keeps the secret of a user it could not remove, and names the user so the rollback Delete removes both', async () => {
    const username = `stray_${run}`;
    proxy.dieOn(firstGrant, { stayDown: true });

    const created = await h.send('Create', { properties: props(username), logicalResourceId: 'stray' });

    expect(proxy.cuts).toBeGreaterThan(0);
    expect(created.Status).toBe('FAILED');
    expect(created.Reason).toMatch(/the user may still exist .* its secret was kept/);
    expect(created.PhysicalResourceId).toBe(`dbauth/${db.family}/${db.host}/${proxy.port}/${username}`);
    expect(await db.userExists(username)).toBe(true);
    expect(await h.stackSecrets('stray-')).toHaveLength(1);

    proxy.revive();
    const rollback = await h.send('Delete', {
      properties: props(username),
      physicalResourceId: created.PhysicalResourceId,
      logicalResourceId: 'stray',
    });
    expect(rollback.Status).toBe('SUCCESS');
    expect(await db.userExists(username)).toBe(false);
  });

  it('a retried Create finishes the user a failed one left', async () => {
    const username = `again_${run}`;
    proxy.dieOn(firstGrant, { stayDown: true });
    const failed = await h.send('Create', { properties: props(username), logicalResourceId: 'again' });
    expect(failed.Status).toBe('FAILED');

    proxy.revive();
    const retried = await h.send('Create', { properties: props(username), logicalResourceId: 'again' });

    expect(retried.Status).toBe('SUCCESS');
    expect(retried.PhysicalResourceId).toBe(failed.PhysicalResourceId);
    const login = await h.storedLogin(retried.Data?.SecretArn ?? '');
    expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
  });

  it('removes the user on a fresh connection when only the session died, and leaves nothing', async () => {
    const username = `cut_${run}`;
    proxy.dieOn(firstGrant, { stayDown: false });

    const created = await h.send('Create', { properties: props(username), logicalResourceId: 'cut' });

    expect(proxy.cuts).toBeGreaterThan(0);
    expect(created.Status).toBe('FAILED');
    expect(created.PhysicalResourceId).toMatch(/^dbauth\/failed-create\//);
    expect(await db.userExists(username)).toBe(false);
    expect(await h.stackSecrets('cut-')).toEqual([]);
  });

  it('names the user it was making when the deadline comes first, so the rollback Delete removes it', async () => {
    const username = `late_${run}`;
    proxy.stall(firstGrant);
    // The Create's work goes on after its answer (as in a Lambda that is not frozen yet) and
    // ends with the removal of its secret: the test waits for that before it ends.
    const store = secretStore();
    const remove = store.delete.bind(store);
    const cleanedUp = new Promise<void>((resolve) => {
      store.delete = (id, options) => remove(id, options).finally(() => options.force && resolve());
    });

    // 12 s left, 10 s of them kept for the answer: the grants have 2 s.
    const created = await h.send('Create', {
      properties: props(username),
      logicalResourceId: 'late',
      remainingMs: 12_000,
      deps: { store },
    });

    expect(proxy.stalls).toBeGreaterThan(0);
    expect(created.Status).toBe('FAILED');
    expect(created.Reason).toMatch(/timed out.*the rollback Delete removes it/);
    expect(created.PhysicalResourceId).toBe(`dbauth/${db.family}/${db.host}/${proxy.port}/${username}`);
    proxy.revive();
    const rollback = await h.send('Delete', {
      properties: props(username),
      physicalResourceId: created.PhysicalResourceId,
      logicalResourceId: 'late',
    });
    expect(rollback.Status).toBe('SUCCESS');
    await cleanedUp;
    expect(await db.userExists(username)).toBe(false);
    for (const name of await h.stackSecrets('late-')) expect(await secretStore().find(name)).toBeUndefined();
  });

  it('keeps the secret of an adopted user whose Create failed: it holds the only copy of the new password', async () => {
    const username = `adopted_${run}`;
    await db.createLogin(h.master, username, `adopted-pw-${run}`);
    h.remember(`adopted-pw-${run}`);
    proxy.dieOn(firstGrant, { stayDown: false });

    const created = await h.send('Create', {
      properties: { ...props(username), AdoptExistingUser: 'true' },
      logicalResourceId: 'adopted',
    });

    expect(created.Status).toBe('FAILED');
    expect(created.Reason).toMatch(/existed before and its password may have changed: secret \S+ keeps it/);
    expect(created.PhysicalResourceId).toMatch(/^dbauth\/failed-create\//);
    const [name] = await h.stackSecrets('adopted-');
    const kept = await secretStore().find(name ?? '');
    expect(kept).toBeDefined();
    const login = await h.storedLogin(kept?.arn ?? '');
    expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
  });
});
