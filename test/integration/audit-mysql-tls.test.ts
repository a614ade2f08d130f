import './support/env';
import { makeHandler } from '../../handlers/audit';
import type { AuditReport } from '../../lib/audit/report';
import { putMaster } from './support/aws';
import { auditDeps, auditTable } from './support/audit';
import { mariadb } from './support/databases';
import { emfMetrics, lambdaContext } from './support/deps';
import { CustomResourceHarness } from './support/harness';
import { motoRotationFunctionArn } from './support/lambda';
import { uniqueSuffix } from './support/postgres';

/**
 * MySQL family: dbauth makes an account REQUIRE SSL when its master session speaks TLS, so a
 * secret with no `ssl` of its own is held to what its master's session does, whatever the
 * deployment's default TLS mode says.
 */
describe('the audit of REQUIRE SSL on MariaDB', () => {
  const h = new CustomResourceHarness('audit-tls', mariadb);
  const run = uniqueSuffix();
  let rotationLambdaArn = '';

  beforeAll(async () => {
    await h.setUp();
    rotationLambdaArn = await motoRotationFunctionArn();
  });
  afterAll(() => h.tearDown());
  h.scanEachTest();

  /** A user made through a master secret whose `ssl` is `ssl`, without an Ssl of its own. */
  async function userThrough(ssl: boolean | string, name: string): Promise<string> {
    const masterArn = await putMaster({ ...mariadb.masterSecretValue(h.master), ssl });
    const response = await h.send('Create', {
      properties: h.props(name, { MasterSecretArn: masterArn, Grants: 'readonly' }),
      logicalResourceId: name.split('_')[0],
      deps: { rotationLambdaArn },
    });
    expect(response.Status).toBe('SUCCESS');
    const arn = response.Data?.SecretArn ?? '';
    await h.storedLogin(arn);
    return arn;
  }

  async function audit(secretId: string, defaultTls: 'disable' | 'require'): Promise<string[]> {
    const deps = auditDeps(`dbauth/${h.stackName}/`, await auditTable(), rotationLambdaArn);
    const handler = makeHandler({
      ...deps,
      tls: { ...deps.tls, mode: defaultTls },
      metrics: emfMetrics('dbauth/test-audit'),
    });
    const report: AuditReport = await handler(
      { secretIds: [secretId], publish: false },
      lambdaContext(60_000),
    );
    return report.servers.flatMap((s) =>
      s.users.flatMap((u) => u.findings.map((f) => `${f.kind} ${f.login}`)),
    );
  }

  it('expects no REQUIRE SSL of a user its master made without TLS, even where the default is TLS', async () => {
    const arn = await userThrough(false, `plain_${run}`);

    expect(await audit(arn, 'require')).toEqual([]);
  });

  it('expects REQUIRE SSL of a user its master made over TLS, and finds it gone when removed by hand', async () => {
    const name = `secure_${run}`;
    const arn = await userThrough('require', name);
    expect(await audit(arn, 'require')).toEqual([]);

    await mariadb.asMaster(h.master, `ALTER USER '${name}'@'%' REQUIRE NONE`);

    expect(await audit(arn, 'require')).toEqual(['tls-not-required user']);
  });
});
