import './support/env';
import { auditServer } from '../../lib/audit/server-audit';
import type { Declaration, Finding, ServerAuditResult } from '../../lib/audit/types';
import { putMaster, secretStore } from './support/aws';
import {
  auditInput,
  buildFleet,
  deadPort,
  loginsFrom,
  peakConnectionsDuring,
  storedHash,
  targetOf,
} from './support/audit-fleet';
import { TEST_DATABASES } from './support/databases';
import { testDeps } from './support/deps';
import { CustomResourceHarness } from './support/harness';
import { uniqueSuffix } from './support/postgres';
import { rotate } from './support/rotation';

const summary = (result: ServerAuditResult) =>
  result.findings.map(({ kind, login, user, expected, found }: Finding) => ({
    kind,
    login,
    user,
    expected,
    found,
  }));

describe.each(TEST_DATABASES)('drift audit of one server on $name', (db) => {
  const h = new CustomResourceHarness('audit', db);
  const store = secretStore();
  const deps = testDeps();
  const run = uniqueSuffix();
  const pg = db.family === 'postgresql';
  let fleet: Declaration[] = [];
  let tlsUser: Declaration | undefined;

  beforeAll(async () => {
    await h.setUp();
    ({ fleet, tlsUser } = await buildFleet(h, run, { size: 23, rotated: [1, 3, 5, 7] }));
  });
  afterAll(() => h.tearDown());
  h.scanEachTest();

  const remember = (password: string) => h.remember(password);
  const audit = (declarations: Declaration[], options: Parameters<typeof auditInput>[3] = {}) =>
    auditServer(auditInput(store, targetOf(declarations), remember, options), deps);
  const user = (index: number): Declaration => {
    const declaration = fleet[index];
    if (!declaration) throw new Error(`no user ${index}`);
    return declaration;
  };
  // MySQL: the database as dbauth grants on it (`_` escaped) and SHOW GRANTS writes it.
  const on = () => `\`${h.master.database.replace(/_/g, '\\_')}\`.*`;
  // Users 12 to 21 are never drifted.
  const untouched = () => fleet.slice(12, 22);

  it('finds nothing on an untouched fleet of both strategies (PUBLIC, owners, the master and clones included)', async () => {
    const everyone = [...fleet, ...(tlsUser ? [tlsUser] : [])];
    const result = await audit(everyone);
    expect(summary(result)).toEqual([]);
    expect(result.unchecked).toEqual([]);
    expect(result.checked.sort()).toEqual(everyone.map((d) => d.secretArn).sort());
  });

  it('finds grants added by hand as grant-extra', async () => {
    const { user: name } = user(0);
    const fn = `f_${run}`;
    await db.asMaster(
      h.master,
      ...(pg
        ? [
            `GRANT INSERT ON items TO ${name}`,
            `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT DELETE ON TABLES TO ${name}`,
            `CREATE FUNCTION ${fn}() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
            `GRANT EXECUTE ON FUNCTION ${fn}() TO ${name}`,
          ]
        : [`GRANT INSERT ON ${on()} TO '${name}'@'%'`]),
    );
    const found = pg
      ? [
          'INSERT on public.items',
          `default DELETE on tables in public for ${h.master.username}`,
          `privileges on 1 object(s) of pg_proc in database ${h.master.database}`,
        ]
      : [`INSERT ON ${on()}`];
    expect(summary(await audit([user(0)]))).toEqual([
      { kind: 'grant-extra', login: 'user', user: name, expected: [], found: found.sort() },
    ]);
  });

  it('finds a grant revoked by hand as grant-missing', async () => {
    const { user: name } = user(2);
    await db.asMaster(
      h.master,
      pg ? `REVOKE SELECT ON items FROM ${name}` : `REVOKE SELECT ON ${on()} FROM '${name}'@'%'`,
    );
    expect(summary(await audit([user(2)]))).toEqual([
      {
        kind: 'grant-missing',
        login: 'user',
        user: name,
        expected: [pg ? 'SELECT on public.items' : `SELECT ON ${on()}`],
        found: [],
      },
    ]);
  });

  it('finds a password changed behind dbauth as password-mismatch, not user-missing', async () => {
    const { user: name } = user(4);
    const password = `hand-set-${uniqueSuffix()}-${uniqueSuffix()}`;
    h.remember(password);
    await db.setPasswordAsAdmin(name, password);
    const result = await audit([user(4)]);
    expect(summary(result)).toEqual([
      {
        kind: 'password-mismatch',
        login: 'user',
        user: name,
        expected: ['AWSCURRENT logs in'],
        found: ['refused'],
      },
    ]);
  });

  it('finds a login the server refuses for its own reasons (NOLOGIN, ACCOUNT LOCK) as login-failed', async () => {
    const { user: name } = user(10);
    await db.asMaster(h.master, pg ? `ALTER ROLE ${name} NOLOGIN` : `ALTER USER '${name}'@'%' ACCOUNT LOCK`);
    const result = await audit([user(10)]);
    expect(summary(result)).toEqual([
      {
        kind: 'login-failed',
        login: 'user',
        user: name,
        expected: ['AWSCURRENT logs in'],
        found: ['refused'],
      },
    ]);
    expect(result.findings[0]?.note).toBe(
      `the server refused it: ${pg ? 'the login may not log in (NOLOGIN)' : 'the account is locked'}`,
    );
  });

  it('finds a single-user rotation stopped after setSecret as rotation-pending, not password-mismatch', async () => {
    const { user: name, secretArn } = user(22);
    await rotate(secretArn, { steps: ['createSecret', 'setSecret'] });
    const input = {
      ...auditInput(store, targetOf([user(22)]), remember),
      loginsOf: loginsFrom(store, remember, { pending: true }),
    };
    expect(summary(await auditServer(input, deps))).toEqual([
      {
        kind: 'rotation-pending',
        login: 'user',
        user: name,
        expected: ['AWSCURRENT logs in'],
        found: ['AWSPENDING logs in'],
      },
    ]);
  });

  it(`finds a clone whose access differs from its user's (${pg ? 'clone-role-mismatch' : 'clone-grants-differ'})`, async () => {
    const { user: name, clone = '' } = user(1);
    await db.asMaster(
      h.master,
      pg ? `REVOKE ${name} FROM ${clone}` : `GRANT CREATE ON ${on()} TO '${clone}'@'%'`,
    );
    const result = summary(await audit([user(1)]));
    expect(result.map((f) => [f.kind, f.login])).toEqual([
      [pg ? 'clone-role-mismatch' : 'clone-grants-differ', 'clone'],
    ]);
    // PostgreSQL: the clone still says SET role at login, but no longer may: it logs in as itself.
    expect(result[0]).toMatchObject(
      pg
        ? {
            expected: [`logs in as ${name}`, `member of ${name}`, `role=${name} at login`],
            found: [`logs in as ${clone}`, `role=${name} at login`],
          }
        : { expected: [], found: [`CREATE ON ${on()}`] },
    );
  });

  it('finds a user dropped by hand as user-missing, and a dropped clone as clone-missing', async () => {
    await db.dropUserAsAdmin(h.master, user(6).user);
    const { clone = '' } = user(3);
    await db.dropUserAsAdmin(h.master, clone);
    expect(summary(await audit([user(6), user(3)]))).toEqual([
      { kind: 'user-missing', login: 'user', user: user(6).user, expected: [user(6).user], found: [] },
      { kind: 'clone-missing', login: 'clone', user: user(3).user, expected: [clone], found: [] },
    ]);
  });

  it('finds a leftover clone of a single user as orphan-clone', async () => {
    const clone = `${user(8).user}_clone`;
    await db.createLogin(h.master, clone, `orphan-${uniqueSuffix()}-${uniqueSuffix()}`);
    const result = await audit([user(8)]);
    expect(summary(result)).toEqual([
      { kind: 'orphan-clone', login: undefined, user: clone, expected: [], found: [clone] },
    ]);
    expect(result.findings[0]?.secretArn).toBeUndefined();
  });

  // PostgreSQL asks for TLS in pg_hba.conf, not per role: this kind is the MySQL family's.
  const mysqlOnly = pg ? () => undefined : it;
  mysqlOnly(
    'finds an account whose TLS requirement was removed as tls-not-required, and repair requires it again',
    async () => {
      const target = tlsUser as Declaration;
      const before = await storedHash(db, target.user);
      await db.asMaster(h.master, `ALTER USER '${target.user}'@'%' REQUIRE NONE`);
      expect(summary(await audit([target]))).toEqual([
        {
          kind: 'tls-not-required',
          login: 'user',
          user: target.user,
          expected: ['REQUIRE SSL'],
          found: ['REQUIRE NONE'],
        },
      ]);
      const repairing = { ...target, onDrift: 'repair' as const };
      const repaired = await audit([repairing], { repair: true });
      expect(repaired.findings.map((f) => [f.kind, f.repair])).toEqual([['tls-not-required', 'done']]);
      expect(summary(await audit([repairing]))).toEqual([]);
      expect(await storedHash(db, target.user)).toBe(before);
    },
  );

  it('repairs grants, extras and the clone when the secret asks for it, never a password; the next audit is clean', async () => {
    const target = { ...user(5), onDrift: 'repair' as const };
    const { user: name, clone = '' } = target;
    const hashes = async () => [await storedHash(db, name), await storedHash(db, clone)];
    const before = await hashes();
    await db.asMaster(
      h.master,
      ...(pg
        ? [
            `GRANT TRUNCATE ON items TO ${name}`,
            `ALTER ROLE ${name} CREATEDB`,
            `REVOKE SELECT ON items FROM ${name}`,
            `REVOKE ${name} FROM ${clone}`,
          ]
        : [
            `GRANT DROP ON ${on()} TO '${name}'@'%'`,
            `REVOKE SELECT ON ${on()} FROM '${name}'@'%'`,
            `GRANT CREATE ON ${on()} TO '${clone}'@'%'`,
          ]),
    );
    const reported = await audit([target]);
    expect(reported.findings.map((f) => f.repair)).toEqual(reported.findings.map(() => undefined));
    const repaired = await audit([target], { repair: true });
    const cloneKind = pg ? 'clone-role-mismatch' : 'clone-grants-differ';
    expect(repaired.findings.map((f) => [f.kind, f.repair]).sort()).toEqual(
      [
        ['grant-extra', 'done'],
        ['grant-missing', 'done'],
        [cloneKind, 'done'],
      ].sort(),
    );
    expect(summary(await audit([target], { repair: true }))).toEqual([]);
    expect(await hashes()).toEqual(before);
  });

  it('holds at most 3 connections to the server with a cap of 3, as the server counts them', async () => {
    const logins = [h.master.username, ...untouched().flatMap((d) => [d.user, d.clone ?? []].flat())];
    const { peak, value: result } = await peakConnectionsDuring(db, logins, () =>
      audit(untouched(), { maxConnections: 3 }),
    );
    expect(summary(result)).toEqual([]);
    expect(result.peakConnections).toBe(3);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('reports a server nothing answers on as server-unreachable only, every secret unchecked', async () => {
    const port = await deadPort();
    const deadMaster = await putMaster({ ...db.masterSecretValue(h.master), port });
    const result = await auditServer(
      auditInput(store, { ...targetOf(fleet, deadMaster), port }, remember),
      deps,
    );
    expect(result.findings.map((f) => [f.kind, f.found])).toEqual([['server-unreachable', ['ECONNREFUSED']]]);
    expect(result.checked).toEqual([]);
    expect(result.unchecked.map((u) => u.secretArn).sort()).toEqual(fleet.map((d) => d.secretArn).sort());
    expect(result.unchecked[0]?.reason).toBe('the server is unreachable');
  });

  it('reports a master whose password no longer logs in as master-login-failed only', async () => {
    const password = `not-the-master-${uniqueSuffix()}`;
    h.remember(password);
    const wrongMaster = await putMaster(db.masterSecretValue(h.master, password));
    const result = await auditServer(auditInput(store, targetOf(untouched(), wrongMaster), remember), deps);
    expect(result.findings.map((f) => [f.kind, f.found])).toEqual([
      ['master-login-failed', ['MasterAuthenticationError']],
    ]);
    expect(result.unchecked).toHaveLength(untouched().length);
  });

  it('stops at its deadline and names every secret it did not check', async () => {
    const result = await audit(untouched(), { deadlineAt: Date.now() + 5 });
    expect(result.checked.length + result.unchecked.length).toBe(untouched().length);
    expect(result.unchecked.length).toBeGreaterThan(0);
    expect(result.unchecked[0]?.reason).toMatch(/deadline/);
  });
});
