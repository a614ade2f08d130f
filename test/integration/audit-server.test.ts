import './support/env';
import { auditServer } from '../../lib/audit/server-audit';
import type { Declaration, Finding, ServerAuditResult } from '../../lib/audit/types';
import { putMaster, secretStore } from './support/aws';
import {
  auditInput,
  deadPort,
  declarationOf,
  openConnections,
  storedHash,
  targetOf,
} from './support/audit-fleet';
import { TEST_DATABASES } from './support/databases';
import { testDeps } from './support/deps';
import { CustomResourceHarness } from './support/harness';
import { motoRotationFunctionArn } from './support/lambda';
import { uniqueSuffix } from './support/postgres';
import { rotate } from './support/rotation';

const PRESETS = ['readonly', 'readwrite', ['SELECT', 'INSERT'], 'owner'] as const;
const FLEET = 22;

describe.each(TEST_DATABASES)('drift audit of one server on $name', (db) => {
  const h = new CustomResourceHarness('audit', db);
  const store = secretStore();
  const deps = testDeps();
  const run = uniqueSuffix();
  const fleet: Declaration[] = [];
  let tlsUser: Declaration | undefined;
  const pg = db.family === 'postgresql';
  const extraSchema = `audit_extra_${run}`;

  beforeAll(async () => {
    await h.setUp();
    const rotationLambdaArn = await motoRotationFunctionArn();
    await db.asMaster(h.master, db.itemsTable, ...(pg ? [`CREATE SCHEMA ${extraSchema}`] : []));
    const create = async (index: number, extra: Record<string, unknown>) => {
      const properties = h.props(`au${index}_${run}`, extra);
      const response = await h.send('Create', {
        properties,
        logicalResourceId: `AuditUser${index}`,
        deps: { rotationLambdaArn },
      });
      expect(response.Status).toBe('SUCCESS');
      const secretArn = response.Data?.SecretArn ?? '';
      await h.storedLogin(secretArn);
      return secretArn;
    };
    const arns: string[] = [];
    for (let index = 0; index < FLEET; index += 1) {
      const strategy = index % 2 === 1 ? 'alternating' : 'single';
      arns.push(
        await create(index, {
          Grants: PRESETS[index % PRESETS.length],
          ...(pg && index === 5 ? { Schemas: ['public', extraSchema] } : {}),
          Rotation: { Strategy: strategy, AutomaticallyAfterDays: '30' },
        }),
      );
    }
    // Alternating users rotated once: their AWSCURRENT is the clone, AWSPREVIOUS the user.
    for (const index of [1, 3, 5, 7]) await rotate(arns[index] ?? '');
    // Objects made after the users: by the master (one readable by PUBLIC), and by an owner user.
    await db.asMaster(
      h.master,
      `CREATE TABLE later_${run} (id int)`,
      `CREATE TABLE open_${run} (id int)`,
      `GRANT SELECT ON open_${run} TO PUBLIC`,
    );
    const owner = await h.storedLogin(arns[11] ?? '');
    expect(await db.tryAs(owner, `CREATE TABLE owned_${run} (id int)`)).toBe('ok');
    for (const arn of arns) fleet.push(await declarationOf(store, arn));
    if (!pg) tlsUser = await declarationOf(store, await create(99, { Ssl: 'require', Grants: 'readonly' }));
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
  const mysqlOn = () => `\`${h.master.database.replace(/_/g, '\\_')}\`.*`;
  const summary = (result: ServerAuditResult) =>
    result.findings.map(({ kind, login, user: name, expected, found }: Finding) => ({
      kind,
      login,
      user: name,
      expected,
      found,
    }));

  it('finds nothing on an untouched fleet of both strategies (PUBLIC, owners, the master and clones included)', async () => {
    const everyone = [...fleet, ...(tlsUser ? [tlsUser] : [])];
    const result = await audit(everyone);
    expect(summary(result)).toEqual([]);
    expect(result.unchecked).toEqual([]);
    expect(result.checked.sort()).toEqual(everyone.map((d) => d.secretArn).sort());
  });

  it('finds a grant added by hand as grant-extra', async () => {
    const target = user(0);
    await db.asMaster(
      h.master,
      ...(pg
        ? [
            `GRANT INSERT ON items TO ${target.user}`,
            `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT DELETE ON TABLES TO ${target.user}`,
          ]
        : [`GRANT INSERT ON ${mysqlOn()} TO '${target.user}'@'%'`]),
    );
    const found = pg
      ? [`INSERT on public.items`, `default DELETE on tables in public for ${h.master.username}`]
      : [`INSERT ON ${mysqlOn()}`];
    expect(summary(await audit([target]))).toEqual([
      { kind: 'grant-extra', login: 'user', user: target.user, expected: [], found: found.sort() },
    ]);
  });

  it('finds a grant revoked by hand as grant-missing', async () => {
    const target = user(2);
    await db.asMaster(
      h.master,
      pg
        ? `REVOKE SELECT ON items FROM ${target.user}`
        : `REVOKE SELECT ON ${mysqlOn()} FROM '${target.user}'@'%'`,
    );
    expect(summary(await audit([target]))).toEqual([
      {
        kind: 'grant-missing',
        login: 'user',
        user: target.user,
        expected: [pg ? 'SELECT on public.items' : `SELECT ON ${mysqlOn()}`],
        found: [],
      },
    ]);
  });

  it('finds a password changed behind dbauth as password-mismatch, not user-missing', async () => {
    const target = user(4);
    const password = `hand-set-${uniqueSuffix()}-${uniqueSuffix()}`;
    h.remember(password);
    await db.setPasswordAsAdmin(target.user, password);
    const result = await audit([target]);
    expect(summary(result)).toEqual([
      {
        kind: 'password-mismatch',
        login: 'user',
        user: target.user,
        expected: ['AWSCURRENT logs in'],
        found: ['refused'],
      },
    ]);
  });

  it(`finds a clone whose access differs from its user's (${pg ? 'clone-role-mismatch' : 'clone-grants-differ'})`, async () => {
    const target = user(1);
    const clone = target.clone ?? '';
    await db.asMaster(
      h.master,
      pg ? `REVOKE ${target.user} FROM ${clone}` : `GRANT CREATE ON ${mysqlOn()} TO '${clone}'@'%'`,
    );
    const result = summary(await audit([target]));
    expect(result.map((f) => [f.kind, f.login])).toEqual([
      [pg ? 'clone-role-mismatch' : 'clone-grants-differ', 'clone'],
    ]);
    // PostgreSQL: the clone still says SET role at login, but no longer may: it logs in as itself.
    expect(result[0]).toMatchObject(
      pg
        ? {
            expected: [
              `logs in as ${target.user}`,
              `member of ${target.user}`,
              `role=${target.user} at login`,
            ],
            found: [`logs in as ${clone}`, `role=${target.user} at login`],
          }
        : { expected: [], found: [`CREATE ON ${mysqlOn()}`] },
    );
  });

  it('finds a user dropped by hand as user-missing', async () => {
    const target = user(6);
    await db.dropUserAsAdmin(h.master, target.user);
    expect(summary(await audit([target]))).toEqual([
      { kind: 'user-missing', login: 'user', user: target.user, expected: [target.user], found: [] },
    ]);
  });

  it('finds a leftover clone of a single user as orphan-clone', async () => {
    const target = user(8);
    const clone = `${target.user}_clone`;
    await db.createLogin(h.master, clone, `orphan-${uniqueSuffix()}-${uniqueSuffix()}`);
    const result = await audit([target]);
    expect(summary(result)).toEqual([
      { kind: 'orphan-clone', login: undefined, user: clone, expected: [], found: [clone] },
    ]);
    expect(result.findings[0]?.secretArn).toBeUndefined();
  });

  // PostgreSQL asks for TLS in pg_hba.conf, not per role: the kind is the MySQL family's.
  const mysqlOnly = pg ? () => undefined : it;
  mysqlOnly('finds an account whose TLS requirement was removed as tls-not-required', async () => {
    const target = tlsUser as Declaration;
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
  });

  it('repairs grants and the clone when the secret asks for it, without touching a password; the next audit is clean', async () => {
    const target = { ...user(5), onDrift: 'repair' as const };
    const clone = target.clone ?? '';
    const hashes = async () => [await storedHash(db, target.user), await storedHash(db, clone)];
    const before = await hashes();
    const database = mysqlOn();
    await db.asMaster(
      h.master,
      ...(pg
        ? [
            `GRANT TRUNCATE ON items TO ${target.user}`,
            `REVOKE SELECT ON items FROM ${target.user}`,
            `REVOKE ${target.user} FROM ${clone}`,
          ]
        : [
            `GRANT DROP ON ${database} TO '${target.user}'@'%'`,
            `REVOKE SELECT ON ${database} FROM '${target.user}'@'%'`,
            `GRANT CREATE ON ${database} TO '${clone}'@'%'`,
          ]),
    );
    const reported = await audit([target]);
    expect(reported.findings.map((f) => f.repair)).toEqual(reported.findings.map(() => undefined));
    const repaired = await audit([target], { repair: true });
    expect(repaired.findings.map((f) => [f.kind, f.repair]).sort()).toEqual(
      [
        ['grant-extra', 'done'],
        ['grant-missing', 'done'],
        [pg ? 'clone-role-mismatch' : 'clone-grants-differ', 'done'],
      ].sort(),
    );
    expect(summary(await audit([target], { repair: true }))).toEqual([]);
    expect(await hashes()).toEqual(before);
  });

  it('holds at most 3 connections to the server with a cap of 3, as the server counts them', async () => {
    const declarations = fleet.slice(9);
    const logins = [h.master.username, ...declarations.flatMap((d) => [d.user, d.clone ?? []].flat())];
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await openConnections(db, logins));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const result = await audit(declarations, { maxConnections: 3 });
    sampling = false;
    await sampler;
    expect(summary(result)).toEqual([]);
    expect(result.peakConnections).toBe(3);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('reports a server nothing answers on as server-unreachable only, every secret unchecked', async () => {
    const port = await deadPort();
    const deadMaster = await putMaster({ ...db.masterSecretValue(h.master), port });
    const input = auditInput(store, { ...targetOf(fleet, deadMaster), port }, remember);
    const result = await auditServer(input, deps);
    expect(result.findings.map((f) => [f.kind, f.found])).toEqual([['server-unreachable', ['ECONNREFUSED']]]);
    expect(result.checked).toEqual([]);
    expect(result.unchecked.map((u) => u.secretArn).sort()).toEqual(fleet.map((d) => d.secretArn).sort());
    expect(result.unchecked[0]?.reason).toBe('the server is unreachable');
  });

  it('stops at its deadline and names every secret it did not check', async () => {
    const result = await audit(fleet.slice(9), { deadlineAt: Date.now() + 5 });
    expect(result.checked.length + result.unchecked.length).toBe(FLEET - 9);
    expect(result.unchecked.length).toBeGreaterThan(0);
    expect(result.unchecked[0]?.reason).toMatch(/deadline/);
  });
});
