import './support/env';
import { TEST_DATABASES, type TestMaster } from './support/databases';
import { OutputCapture, scanEachTest } from './support/capture';
import { EventQueue } from './support/event-queue';
import {
  createRotatableUser,
  logsIn,
  rotate,
  rotateDeps,
  rotateHandler,
  secretAt,
  type AppUser,
} from './support/rotation';
import { secretStore } from './support/aws';
import { ROTATION_STEPS } from '../../lib/rotation/event';

describe.each(TEST_DATABASES)('rotation on $name', (db) => {
  const output = new OutputCapture();
  const events = new EventQueue();
  const passwords: string[] = [];
  let master: TestMaster;
  let handler: ReturnType<typeof rotateHandler>;

  beforeAll(async () => {
    master = await db.createMaster();
    passwords.push(master.password);
    await events.start();
    handler = rotateHandler(rotateDeps({ busName: events.busName }));
  });
  scanEachTest(
    output,
    () => passwords,
    () => events.everyEvent(),
  );

  async function remember(user: AppUser) {
    passwords.push(user.password);
    return user;
  }
  async function currentPassword(secretArn: string) {
    const value = await secretAt(secretArn, 'AWSCURRENT');
    passwords.push(value.password.reveal());
    return value;
  }

  it('rotates three times in a row with a single user, changing the password in place', async () => {
    const user = await remember(await createRotatableUser(master, { db, strategy: 'single' }));
    let previous = await currentPassword(user.secretArn);
    for (let round = 0; round < 3; round += 1) {
      await rotate(user.secretArn, { handler });
      const now = await currentPassword(user.secretArn);
      expect(now.username).toBe(user.username);
      expect(now.password.equals(previous.password)).toBe(false);
      expect(await logsIn(now, master.database)).toBe(true);
      expect(await logsIn(previous, master.database)).toBe(false);
      previous = now;
    }
  });

  it('rotates three times in a row with alternating users: name, name_clone, name, name_clone', async () => {
    const user = await remember(await createRotatableUser(master, { db, strategy: 'alternating' }));
    const logins: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      const before = await currentPassword(user.secretArn);
      await rotate(user.secretArn, { handler });
      const now = await currentPassword(user.secretArn);
      logins.push(now.username);
      expect(await logsIn(now, master.database)).toBe(true);
      // The login that was current keeps its password until its next turn.
      expect(await logsIn(before, master.database)).toBe(true);
    }
    const clone = `${user.username}_clone`;
    expect(logins).toEqual([clone, user.username, clone]);
  });

  it('keeps AWSCURRENT working after every step with alternating users', async () => {
    const user = await remember(await createRotatableUser(master, { db, strategy: 'alternating' }));
    for (let round = 0; round < 2; round += 1) {
      const token = crypto.randomUUID();
      for (const step of ROTATION_STEPS) {
        await rotate(user.secretArn, { handler, token, steps: [step] });
        expect(await logsIn(await currentPassword(user.secretArn), master.database)).toBe(true);
      }
    }
  });

  it('keeps AWSCURRENT or AWSPENDING working after every step with a single user, and AWSCURRENT after finish', async () => {
    const user = await remember(await createRotatableUser(master, { db, strategy: 'single' }));
    const token = crypto.randomUUID();
    const seen: string[] = [];
    for (const step of ROTATION_STEPS) {
      await rotate(user.secretArn, { handler, token, steps: [step] });
      const current = await logsIn(await currentPassword(user.secretArn), master.database);
      const pendingValue = await secretStore()
        .getString(user.secretArn, { versionId: token })
        .catch(() => undefined);
      const pending = pendingValue
        ? await logsIn(
            (await import('../../lib/secrets/secret-value')).parseAppSecret(user.secretArn, pendingValue),
            master.database,
          )
        : false;
      seen.push(`${step}:${current ? 'current' : ''}${pending ? '+pending' : ''}`);
      expect(current || pending).toBe(true);
    }
    // Checked, not assumed: between setSecret and finishSecret only AWSPENDING logs in.
    expect(seen).toEqual([
      'createSecret:current',
      'setSecret:+pending',
      'testSecret:+pending',
      'finishSecret:current+pending',
    ]);
  });

  it('keeps a connection opened with the old credentials working through an alternating rotation', async () => {
    const user = await remember(await createRotatableUser(master, { db, strategy: 'alternating' }));
    const before = await currentPassword(user.secretArn);
    await db.withConnection(
      { user: before.username, password: before.password.reveal(), database: master.database },
      async (query) => {
        await rotate(user.secretArn, { handler });
        await rotate(user.secretArn, { handler });
        expect(await query('SELECT count(*) AS n FROM items')).toHaveLength(1);
      },
    );
  });

  it('lets the clone use tables the first login created, and the other way round', async () => {
    const user = await remember(await createRotatableUser(master, { db, strategy: 'alternating' }));
    await db.grantCreate(master, user.username);
    const first = await currentPassword(user.secretArn);
    const asLogin = async (value: typeof first, sql: string) =>
      expect(
        await db.tryAs(
          { user: value.username, password: value.password.reveal(), database: master.database },
          sql,
        ),
      ).toBe('ok');
    await asLogin(first, `CREATE TABLE made_by_first_${user.username} (id int)`);
    await rotate(user.secretArn, { handler });
    const clone = await currentPassword(user.secretArn);
    expect(clone.username).toBe(`${user.username}_clone`);
    await asLogin(clone, `INSERT INTO made_by_first_${user.username} VALUES (1)`);
    await asLogin(clone, `CREATE TABLE made_by_clone_${user.username} (id int)`);
    await asLogin(first, `INSERT INTO made_by_clone_${user.username} VALUES (2)`);
    await asLogin(first, `DROP TABLE made_by_clone_${user.username}`);
  });

  it('publishes Secret Rotated with no password in it (details read from the secret when it has no dbauth tags for them)', async () => {
    const user = await remember(
      await createRotatableUser(master, { db, strategy: 'single', metadataTags: false }),
    );
    await events.drain();
    await rotate(user.secretArn, { handler });
    await currentPassword(user.secretArn);
    const received = await events.drain();
    const rotated = received.filter((event) => event['detail-type'] === 'Secret Rotated');
    expect(rotated).toHaveLength(1);
    expect(rotated[0]?.detail).toMatchObject({
      secretArn: user.secretArn,
      engine: db.engine,
      user: user.username,
      strategy: 'single',
    });
    expect(received.filter((event) => passwords.some((p) => event.raw.includes(p)))).toEqual([]);
  });

  it('rotates over verified TLS when the secret asks for it, and refuses without the CA bundle', async () => {
    const user = await remember(
      await createRotatableUser(master, { db, strategy: 'alternating', ssl: 'verify-full' }),
    );
    const ca = process.env.DBAUTH_TEST_CA ?? '/tmp/dbauth-services/tls/ca.pem';
    const withCa = rotateHandler(rotateDeps({ env: { DBAUTH_CA_BUNDLE: ca } }));
    await rotate(user.secretArn, { handler: withCa });
    expect(await logsIn(await currentPassword(user.secretArn), master.database)).toBe(true);
    await expect(rotate(user.secretArn, { handler })).rejects.toThrow(
      /TLS certificate could not be verified .* DBAUTH_CA_BUNDLE/,
    );
  });

  it('reads each version once per warm function, and every step reads again on a cold one', async () => {
    const reads = async (versionCache: boolean) => {
      const deps = rotateDeps(versionCache ? {} : { versionCache: false });
      let count = 0;
      deps.store.client.middlewareStack.add(
        (next, context) => async (args) => {
          if (/^(Batch)?GetSecretValue/.test(String(context.commandName))) count += 1;
          return next(args);
        },
        { step: 'initialize', name: 'countReads' },
      );
      const user = await remember(await createRotatableUser(master, { db, strategy: 'single' }));
      await rotate(user.secretArn, { handler: rotateHandler(deps) });
      expect(await logsIn(await currentPassword(user.secretArn), master.database)).toBe(true);
      return count;
    };
    // Warm: createSecret reads AWSCURRENT and puts AWSPENDING; the later steps know both.
    expect(await reads(true)).toBe(1);
    // Cold: createSecret 1, setSecret 2 (pending, current), testSecret 1 (pending).
    expect(await reads(false)).toBe(4);
  });
});
