import './support/env';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AuditReport } from '../../lib/audit/report';
import { cancelRotation } from './support/audit';
import { CustomResourceHarness } from './support/harness';
import { motoRotationFunctionArn } from './support/lambda';
import { testEnv } from './support/env';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/** Users made by the custom resource on the project's PostgreSQL; what was printed is scanned per test. */
const h = new CustomResourceHarness('audit-cli');
let rotationArn = '';
let fleets = 0;

/**
 * `npm run audit -- ...`, as a user runs it: a process of its own against moto, auditing the
 * managed secrets under `prefix` (the deployment's secretNamePrefix). What it prints is
 * recorded for the leak check; the exit code comes back, with the output.
 */
async function auditScript(prefix: string, ...args: string[]) {
  try {
    const printed = await run(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, 'scripts', 'audit.ts'), ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          DBAUTH_SECRET_NAME_PREFIX: prefix,
          DBAUTH_ROTATION_FUNCTION_ARN: rotationArn,
          // As the tests' own handlers: the local servers are reached without TLS.
          DBAUTH_TLS_MODE: 'disable',
        },
        timeout: 60_000,
      },
    );
    h.capture.record(`${printed.stdout}\n${printed.stderr}`);
    return { code: 0, ...printed };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    h.capture.record(`${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Two single users of this test alone: their secrets' names share a prefix no other test's have. */
async function fleet() {
  fleets += 1;
  const made: { arn: string; username: string }[] = [];
  for (const letter of ['a', 'b']) {
    const username = `cli${fleets}${letter}_${h.stackName.slice(-8)}`;
    const response = await h.send('Create', {
      properties: h.props(username, { Rotation: { AutomaticallyAfterDays: '30' } }),
      logicalResourceId: `cli${fleets}${letter}`,
      deps: { rotationLambdaArn: rotationArn },
    });
    expect(response.Status).toBe('SUCCESS');
    const arn = response.Data?.SecretArn ?? '';
    made.push({ arn, username: (await h.storedLogin(arn)).user });
  }
  return { prefix: `dbauth/${h.stackName}/cli${fleets}`, made };
}

beforeAll(async () => {
  rotationArn = await motoRotationFunctionArn();
  await h.setUp();
});
afterAll(() => h.tearDown());

describe('scripts/audit.ts, npm run audit', () => {
  h.scanEachTest();

  it('prints a table per server and exits 0 when nothing drifted', async () => {
    const { prefix, made } = await fleet();
    const { code, stdout } = await auditScript(prefix);
    expect(code).toBe(0);
    const server = `${testEnv.pg.host}:${testEnv.pg.port}`.replace(/\./g, '\\.');
    expect(stdout).toMatch(
      new RegExp(`^postgres ${server} {2}master \\S+ {2}2 users {2}0 with findings`, 'm'),
    );
    expect(stdout).toMatch(/^USER +STRATEGY +LAST ROTATION +NEXT ROTATION +FINDINGS$/m);
    for (const { username } of made)
      expect(stdout).toMatch(new RegExp(`^${username} +single +\\S+ \\S+ +\\S+ +ok$`, 'm'));
  });

  it('exits 1 when drift is found, and prints the report as JSON for scripts', async () => {
    const { prefix, made } = await fleet();
    await cancelRotation(made[0]!.arn);
    const { code, stdout } = await auditScript(prefix, '--format', 'json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as AuditReport;
    expect(report.summary.findings).toMatchObject({ open: 1 });
    const users = report.servers.flatMap((s) => s.users);
    expect(users.find((u) => u.secretArn === made[0]!.arn)?.findings.map((f) => f.kind)).toEqual([
      'rotation-disabled',
    ]);
    expect(users.find((u) => u.secretArn === made[1]!.arn)?.findings).toEqual([]);
  });

  it('audits only the secrets named with --secret-id', async () => {
    const { prefix, made } = await fleet();
    await cancelRotation(made[1]!.arn);
    const { code, stdout } = await auditScript(prefix, '--secret-id', made[0]!.arn, '--format', 'json');
    expect(code).toBe(0);
    expect(
      (JSON.parse(stdout) as AuditReport).servers.flatMap((s) => s.users.map((u) => u.secretArn)),
    ).toEqual([made[0]!.arn]);
  });

  it('asks the deployed function with --invoke, not to publish, and refuses an answer that is no report', async () => {
    // moto runs no code: its function answers the request it was sent, which is no report.
    const { code, stderr } = await auditScript(
      'dbauth/test/none/',
      '--invoke',
      rotationArn,
      '--secret-id',
      'dbauth/orders/app',
    );
    expect(code).toBe(3);
    expect(stderr).toContain(
      'audit failed: the audit function answered {publish, repair, secretIds}, not an audit report',
    );
  });

  it('exits 3 with the usage for an option it does not take', async () => {
    const { code, stderr } = await auditScript('dbauth/test/none/', '--format', 'xml');
    expect(code).toBe(3);
    expect(stderr).toContain('audit failed: not an audit request: --format must be table or json');
  });
});
