import './support/env';
import { randomUUID } from 'node:crypto';
import type { Endpoint, EngineSession, TlsMode } from '../../lib/engines/engine';
import { MAX_USERNAME, mysql } from '../../lib/engines/mysql/adapter';
import { Password } from '../../lib/secrets/password';
import { OutputCapture, scanEachTest } from './support/capture';
import { mariadb as db, type TestMaster } from './support/databases';
import { asMariaAdmin, withMariaClient } from './support/mariadb';
import { uniqueSuffix } from './support/postgres';
import { createRotatableUser, logsIn, rotate, rotateDeps, rotateHandler, secretAt } from './support/rotation';

const CA = process.env.DBAUTH_TEST_CA ?? '/tmp/dbauth-services/tls/ca.pem';
const timeouts = { connectMs: 3000, statementMs: 5000 };

/** What MySQL does differently: TLS and REQUIRE SSL, account hosts, clones that are copies, definers, name limits. */
describe('MySQL engine on MariaDB', () => {
  const output = new OutputCapture();
  const passwords: string[] = [];
  const run = uniqueSuffix();
  let master: TestMaster;

  const endpoint = (mode: TlsMode, extra: Partial<Endpoint> = {}): Endpoint => ({
    engine: 'mariadb',
    host: db.host,
    port: db.port,
    database: master.database,
    tls: { mode, caBundlePath: mode === 'verify-full' ? CA : undefined },
    ...extra,
  });
  const asMaster = (mode: TlsMode, extra: Partial<Endpoint> = {}) =>
    mysql.connect(
      endpoint(mode, extra),
      { username: master.username, password: new Password(master.password) },
      timeouts,
    );
  const newPassword = () => {
    const password = `pw-${randomUUID()}`;
    passwords.push(password);
    return password;
  };
  const grants = { database: '', schemas: ['public'], privileges: ['SELECT' as const] };
  async function using<T>(session: EngineSession, work: (s: EngineSession) => Promise<T>): Promise<T> {
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }
  const grantsOf = (user: string, host = '%') =>
    asMariaAdmin(async (admin) => {
      const [rows] = await admin.query('SHOW GRANTS FOR ?@?', [user, host]);
      return (rows as Record<string, string>[]).map((row) => Object.values(row)[0] ?? '').slice(1);
    });

  beforeAll(async () => {
    master = await db.createMaster();
    passwords.push(master.password);
    grants.database = master.database;
    await db.asMaster(master, db.itemsTable);
  });
  // Engine sessions log nothing of their own: the scan is there for a driver that prints.
  scanEachTest(output, () => passwords, undefined, { mayPrintNothing: true });

  describe('TLS', () => {
    /** How many sessions of the master the server has open, over TLS and in all. */
    const masterSessions = () =>
      asMariaAdmin(async (admin) => {
        const [rows] = await admin.query(
          `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?`,
          [master.username],
        );
        return Number((rows as { n: number }[])[0]?.n);
      });

    it('connects with verify-full against the test CA by a name the certificate holds, and refuses one it does not', async () => {
      // The test certificate holds IP:127.0.0.1 and DNS:localhost (scripts/test-services.sh).
      for (const host of ['127.0.0.1', 'localhost']) {
        expect(await using(await asMaster('verify-full', { host }), masterSessions)).toBeGreaterThan(0);
      }
      // 127.1 reaches the same server (inet_aton's short form of 127.0.0.1), but as a name that
      // is neither of the certificate's: only a host name check tells them apart.
      const wrongName = { ...endpoint('verify-full'), host: '127.1' };
      await expect(
        mysql.connect(
          wrongName,
          { username: master.username, password: new Password(master.password) },
          timeouts,
        ),
      ).rejects.toThrow(/TLS certificate could not be verified .*altnames/);
      // The same name without the host name check connects: the refusal above was the name's.
      await using(await asMaster('require', { host: '127.1' }), async () => undefined);
    });

    it('refuses verify-full without the CA bundle, naming the setting that fixes it', async () => {
      await expect(
        mysql.connect(
          { ...endpoint('verify-full'), tls: { mode: 'verify-full' } },
          { username: master.username, password: new Password(master.password) },
          timeouts,
        ),
      ).rejects.toThrow(/TLS certificate could not be verified .*DBAUTH_CA_BUNDLE/);
    });

    it('creates users REQUIRE SSL when it connects over TLS: they cannot log in in plaintext', async () => {
      const user = `tls_${run}`;
      const password = newPassword();
      await using(await asMaster('require'), async (session) => {
        await session.createUser(user, new Password(password));
        await session.grant(user, grants);
      });
      expect((await db.tryAs({ user, password, database: master.database }, 'SELECT 1')) === 'ok').toBe(
        false,
      );
      const overTls = await withMariaClient(
        { user, password, database: master.database, ssl: { rejectUnauthorized: false } },
        async (c) => (await c.query(`SHOW STATUS LIKE 'Ssl_cipher'`))[0],
      );
      expect((overTls as { Value: string }[])[0]?.Value).not.toBe('');
    });

    it('gives a clone the REQUIRE SSL of its source, even over a plaintext master session', async () => {
      const user = `tlssrc_${run}`;
      await using(await asMaster('require'), async (session) => {
        await session.createUser(user, new Password(newPassword()));
        await session.grant(user, grants);
      });
      const clone = mysql.cloneUsername(user);
      await using(await asMaster('disable'), (session) =>
        session.cloneUser(user, clone, new Password(newPassword())),
      );
      const created = await asMariaAdmin(
        async (admin) => (await admin.query('SHOW CREATE USER ?@?', [clone, '%']))[0],
      );
      expect(JSON.stringify(created)).toMatch(/REQUIRE SSL/);
    });
  });

  it('makes accounts for the host that DBAUTH_MYSQL_USER_HOST names', async () => {
    const user = `hosted_${run}`;
    await using(await asMaster('disable', { userHost: '127.0.0.1' }), async (session) => {
      await session.createUser(user, new Password(newPassword()));
      await session.grant(user, grants);
      expect(await session.userExists(user)).toBe(true);
    });
    expect(await grantsOf(user, '127.0.0.1')).toEqual([
      `GRANT SELECT ON \`${master.database.replace('_', '\\_')}\`.* TO \`${user}\`@\`127.0.0.1\``,
    ]);
    await using(await asMaster('disable'), async (session) =>
      expect(await session.userExists(user)).toBe(false),
    );
    await using(await asMaster('disable', { userHost: '127.0.0.1' }), (session) =>
      session.dropUser(user, {}),
    );
  });

  it('refuses a host pattern that would need more than quoting', async () => {
    await expect(asMaster('disable', { userHost: "%' OR 1=1; --" })).rejects.toThrow(
      /invalid user host pattern/,
    );
  });

  it('syncs a clone to exactly its source: grants given to the clone alone are taken back', async () => {
    const [user, clone] = [`exact_${run}`, mysql.cloneUsername(`exact_${run}`)];
    await using(await asMaster('disable'), async (session) => {
      await session.createUser(user, new Password(newPassword()));
      await session.grant(user, { ...grants, privileges: ['SELECT', 'INSERT'] });
      await session.cloneUser(user, clone, new Password(newPassword()));
    });
    await db.asMaster(master, `GRANT DELETE, DROP ON \`${master.database}\`.* TO '${clone}'@'%'`);
    await db.asMaster(master, `GRANT SELECT ON \`${master.database}\`.\`items\` TO '${clone}'@'%'`);
    await using(await asMaster('disable'), (session) => session.syncClone(user, clone));
    const retarget = (lines: string[], name: string) => lines.map((l) => l.replace(`\`${name}\`@`, '`X`@'));
    expect(retarget(await grantsOf(clone), clone)).toEqual(retarget(await grantsOf(user), user));
  });

  it('gives a clone the roles of its source, and the same default role, so they are active at login', async () => {
    const role = `role_${run}`;
    const [user, clone] = [`roled_${run}`, mysql.cloneUsername(`roled_${run}`)];
    const password = newPassword();
    await asMariaAdmin(async (admin) => {
      await admin.query(`CREATE ROLE \`${role}\``);
      await admin.query(`GRANT SELECT ON \`${master.database}\`.* TO \`${role}\``);
      await admin.query(`GRANT \`${role}\` TO '${master.username}'@'%' WITH ADMIN OPTION`);
    });
    await using(await asMaster('disable'), async (session) => {
      await session.createUser(user, new Password(newPassword()));
      await db.asMaster(
        master,
        `GRANT \`${role}\` TO '${user}'@'%'`,
        `SET DEFAULT ROLE \`${role}\` FOR '${user}'@'%'`,
      );
      await session.cloneUser(user, clone, new Password(password));
    });
    // The account line (USAGE, with the password hash) differs by design.
    const retarget = (lines: string[], name: string) =>
      lines
        .filter((l) => !l.startsWith('GRANT USAGE ON *.*'))
        .map((l) => l.replaceAll(`\`${name}\`@`, '`X`@'));
    expect(retarget(await grantsOf(clone), clone)).toEqual(retarget(await grantsOf(user), user));
    // The role's SELECT works for the clone without SET ROLE: its default role is active.
    expect(await db.tryAs({ user: clone, password, database: master.database }, 'SELECT * FROM items')).toBe(
      'ok',
    );
  });

  it('refuses to grant on the server’s own databases', async () => {
    await using(await asMaster('disable'), async (session) => {
      await session.createUser(`sys_${run}`, new Password(newPassword()));
      await expect(session.grant(`sys_${run}`, { ...grants, database: 'mysql' })).rejects.toThrow(
        /server's own/,
      );
      await session.dropUser(`sys_${run}`, {});
    });
  });

  describe('a user that is the DEFINER of a view', () => {
    async function definerOfView(name: string) {
      const password = newPassword();
      await using(await asMaster('disable'), async (session) => {
        await session.createUser(name, new Password(password));
        await session.grant(name, { ...grants, privileges: ['SELECT', 'CREATE'] });
      });
      expect(
        await db.tryAs(
          { user: name, password, database: master.database },
          `CREATE VIEW v_${name} AS SELECT * FROM items`,
        ),
      ).toBe('ok');
    }

    it('is not dropped silently: the error names DropOwnedObjects', async () => {
      await definerOfView(`definer_${run}`);
      await using(await asMaster('disable'), async (session) => {
        await expect(session.dropUser(`definer_${run}`, {})).rejects.toThrow(
          /DEFINER of 1 .*DropOwnedObjects/,
        );
        await expect(
          session.dropUser(`definer_${run}`, { reassignOwnedTo: master.username }),
        ).rejects.toThrow(/cannot hand them to ReassignOwnedTo/);
        expect(await session.userExists(`definer_${run}`)).toBe(true);
      });
    });

    it('is dropped with its view when DropOwnedObjects is set', async () => {
      await definerOfView(`dropdef_${run}`);
      await using(await asMaster('disable'), async (session) => {
        await session.dropUser(`dropdef_${run}`, { dropOwnedObjects: true });
        expect(await session.userExists(`dropdef_${run}`)).toBe(false);
      });
      expect(
        await db.tryAs(
          { ...db, user: master.username, password: master.password, database: master.database },
          `SELECT * FROM v_dropdef_${run}`,
        ),
      ).toBe('42S02');
    });
  });
});

describe('rotation of MySQL users through the rotation function, on MariaDB', () => {
  const output = new OutputCapture();
  const passwords: string[] = [];
  const run = uniqueSuffix();
  let master: TestMaster;

  beforeAll(async () => {
    master = await db.createMaster();
    passwords.push(master.password);
    await db.asMaster(master, db.itemsTable);
  });
  scanEachTest(output, () => passwords);

  it(`rotates a ${MAX_USERNAME}-character user with alternating users: the clone name is cut and hashed to fit`, async () => {
    const username = `long_${run}_${'x'.repeat(MAX_USERNAME - 14)}`;
    expect(username).toHaveLength(MAX_USERNAME);
    const clone = mysql.cloneUsername(username);
    expect(clone).toHaveLength(MAX_USERNAME);
    expect(clone).toMatch(/^long_[0-9a-f]{8}_xxxxx_[0-9a-f]{6}_clone$/);
    const user = await createRotatableUser(master, { db, strategy: 'alternating', username });
    passwords.push(user.password);
    const handler = rotateHandler(rotateDeps());
    const logins: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      await rotate(user.secretArn, { handler });
      const now = await secretAt(user.secretArn, 'AWSCURRENT');
      passwords.push(now.password.reveal());
      logins.push(now.username);
      expect(await logsIn(now, master.database)).toBe(true);
    }
    expect(logins).toEqual([clone, username, clone]);
  });
});
