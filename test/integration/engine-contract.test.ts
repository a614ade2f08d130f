import './support/env';
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { Endpoint, EngineSession, GrantSet } from '../../lib/engines/engine';
import { AuthenticationFailedError, DatabaseError } from '../../lib/engines/errors';
import { findEngine } from '../../lib/engines/registry';
import { makeLogger } from '../../lib/log';
import { Password } from '../../lib/secrets/password';
import { OutputCapture, scanEachTest } from './support/capture';
import { TEST_DATABASES, type TestMaster } from './support/databases';
import { uniqueSuffix } from './support/postgres';

const timeouts = { connectMs: 3000, statementMs: 5000 };

/** The same contract for every engine, through the `Engine`/`EngineSession` interface only. */
describe.each(TEST_DATABASES)('engine contract on $name', (db) => {
  const engine = findEngine(db.engine);
  const output = new OutputCapture();
  const run = uniqueSuffix();
  let master: TestMaster;
  let endpoint: Endpoint;
  let session: EngineSession;
  // Every password a test hands a session: the sessions log nothing, a driver that prints is caught.
  const passwords: string[] = [];

  beforeAll(async () => {
    master = await db.createMaster();
    await db.asMaster(master, db.itemsTable);
    endpoint = {
      engine: db.engine,
      host: db.host,
      port: db.port,
      database: master.database,
      tls: { mode: 'disable' },
    };
    session = await engine!.connect(
      endpoint,
      { username: master.username, password: new Password(master.password) },
      timeouts,
    );
  });
  afterAll(() => session.close());
  scanEachTest(output, () => [master.password, 'wrong-pw', ...passwords], undefined, {
    mayPrintNothing: true,
  });

  const grants = (privileges: GrantSet['privileges']): GrantSet => ({
    database: master.database,
    schemas: ['public'],
    privileges,
  });
  const login = (user: string, password: string) => ({ user, password, database: master.database });
  const newPassword = () => {
    const password = `pw-${randomUUID()}`;
    passwords.push(password);
    return password;
  };

  it('creates one user from several sessions at once: every CREATE succeeds', async () => {
    const user = `raced_${run}`;
    const password = newPassword();
    const sessions = await Promise.all(
      [1, 2, 3, 4].map(() =>
        engine!.connect(
          endpoint,
          { username: master.username, password: new Password(master.password) },
          timeouts,
        ),
      ),
    );
    try {
      // Two events about one new secret: both saw no user, both create it with the same password.
      await Promise.all(sessions.map((each) => each.createUser(user, new Password(password))));
    } finally {
      await Promise.all(sessions.map((each) => each.close()));
    }
    await session.grant(user, grants(['SELECT']));
    expect(await db.tryAs(login(user, password), 'SELECT * FROM items')).toBe('ok');
  });

  it('is found under its engine name, as an engine of its family', () => {
    expect(engine?.family).toBe(db.family);
  });

  it('creates a user that logs in, says it exists, and creating it again sets its password', async () => {
    const user = `made_${run}`;
    const [first, second] = [newPassword(), newPassword()];
    expect(await session.userExists(user)).toBe(false);
    await session.createUser(user, new Password(first));
    await session.grant(user, grants(['SELECT']));
    expect(await session.userExists(user)).toBe(true);
    expect(await db.tryAs(login(user, first), 'SELECT * FROM items')).toBe('ok');
    await session.createUser(user, new Password(second));
    expect(await db.tryAs(login(user, second), 'SELECT 1')).toBe('ok');
    expect(await db.tryAs(login(user, first), 'SELECT 1')).not.toBe('ok');
  });

  it('sets a password as master, and a user changes its own', async () => {
    const user = `pw_${run}`;
    const [first, second, third] = [newPassword(), newPassword(), newPassword()];
    await session.createUser(user, new Password(first));
    await session.grant(user, grants(['SELECT']));
    await session.setPassword(user, new Password(second));
    expect(await db.tryAs(login(user, second), 'SELECT 1')).toBe('ok');
    const own = await engine!.connect(endpoint, { username: user, password: new Password(second) }, timeouts);
    try {
      await own.changeOwnPassword(new Password(third));
    } finally {
      await own.close();
    }
    expect(await db.tryAs(login(user, third), 'SELECT 1')).toBe('ok');
    expect(await db.tryAs(login(user, second), 'SELECT 1')).not.toBe('ok');
  });

  it('grants and revokes by privilege; revoking what is not held is fine', async () => {
    const user = `grant_${run}`;
    const password = newPassword();
    await session.createUser(user, new Password(password));
    await session.grant(user, grants(['SELECT', 'INSERT']));
    expect(await db.tryAs(login(user, password), `INSERT INTO items (name) VALUES ('a')`)).toBe('ok');
    await session.revoke(user, grants(['INSERT']), { schemaAccess: false });
    await session.revoke(user, grants(['INSERT', 'DELETE']), { schemaAccess: false });
    expect(await db.tryAs(login(user, password), `INSERT INTO items (name) VALUES ('b')`)).toBe(db.denied);
    expect(await db.tryAs(login(user, password), 'SELECT * FROM items')).toBe('ok');
  });

  it('clones a user with its access, and keeps the clone in line when the grants change', async () => {
    const [user, clone] = [`src_${run}`, engine!.cloneUsername(`src_${run}`)];
    const [password, clonePassword] = [newPassword(), newPassword()];
    await session.createUser(user, new Password(password));
    await session.grant(user, grants(['SELECT', 'INSERT']));
    await session.cloneUser(user, clone, new Password(clonePassword));
    await session.cloneUser(user, clone, new Password(clonePassword));
    expect(await db.tryAs(login(clone, clonePassword), `INSERT INTO items (name) VALUES ('c')`)).toBe('ok');

    await session.revoke(user, grants(['INSERT']), { schemaAccess: false });
    await session.grant(user, grants(['DELETE']));
    await session.syncClone(user, clone);
    expect(await db.tryAs(login(clone, clonePassword), `INSERT INTO items (name) VALUES ('d')`)).toBe(
      db.denied,
    );
    expect(await db.tryAs(login(clone, clonePassword), `DELETE FROM items WHERE name = 'c'`)).toBe('ok');
    expect(await db.tryAs(login(user, password), 'SELECT 1')).toBe('ok');
  });

  it('proves the grants of the logged-in user, and names what is missing', async () => {
    const user = `prove_${run}`;
    const password = newPassword();
    await session.createUser(user, new Password(password));
    await session.grant(user, grants(['SELECT', 'INSERT']));
    const own = await engine!.connect(
      endpoint,
      { username: user, password: new Password(password) },
      timeouts,
    );
    try {
      await expect(own.proveAccess(grants(['SELECT', 'INSERT']))).resolves.toBeUndefined();
      await expect(own.proveAccess(grants(['SELECT', 'UPDATE']))).rejects.toThrow(/lacks UPDATE/);
    } finally {
      await own.close();
    }
  });

  it('drops a user, and dropping one that is not there is fine', async () => {
    const user = `drop_${run}`;
    await session.createUser(user, new Password(newPassword()));
    await session.grant(user, grants(['SELECT']));
    await session.dropUser(user, {});
    expect(await session.userExists(user)).toBe(false);
    await session.dropUser(user, {});
  });

  it('refuses a wrong password with AuthenticationFailedError', async () => {
    await expect(
      engine!.connect(endpoint, { username: master.username, password: new Password('wrong-pw') }, timeouts),
    ).rejects.toBeInstanceOf(AuthenticationFailedError);
  });

  it('fails a password change with an error that carries no password, however it is printed', async () => {
    const sentinel = `sentinel-${randomUUID()}`;
    passwords.push(sentinel);
    const error = await session.setPassword(`nobody_${run}`, new Password(sentinel)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseError);
    const logger = makeLogger('dbauth-contract');
    logger.error('password change failed', error as Error);
    const printed = [
      JSON.stringify(error),
      inspect(error, { depth: 5 }),
      String(error),
      (error as Error).stack,
    ];
    expect(printed.filter((text) => text?.includes(sentinel))).toEqual([]);
    expect(Object.keys(error as object).sort()).toEqual(['code', 'name', 'sqlState']);
    expect((error as Error).cause).toBeUndefined();
    // What the logger printed of it: a line (a SILENT log level fails here), without the sentinel.
    expect(output.leaks([sentinel, master.password])).toEqual([]);
  });
});
