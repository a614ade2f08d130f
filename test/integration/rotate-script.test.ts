import './support/env';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgres } from './support/databases';
import { randomUUID } from 'node:crypto';
import { createRotatableUser, logsIn, rotate, secretAt } from './support/rotation';
import { OutputCapture, scanEachTest } from './support/capture';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/** What this file's tests and the script's processes printed, scanned after each test. */
const output = new OutputCapture();
const passwords: string[] = [];

/**
 * `npm run rotate -- --secret-id X`, as a user runs it: a process of its own against moto, at
 * the run's log level (INFO unless POWERTOOLS_LOG_LEVEL says otherwise). What it prints is
 * recorded for the leak check, whether it succeeds or fails.
 */
async function rotateScript(...args: string[]) {
  try {
    const printed = await run(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, 'scripts', 'rotate.ts'), ...args],
      { cwd: root, env: { ...process.env, DBAUTH_TLS_MODE: 'disable' }, timeout: 60_000 },
    );
    output.record(`${printed.stdout}\n${printed.stderr}`);
    return printed;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    output.record(`${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
    throw error;
  }
}

describe('scripts/rotate.ts, the local driver', () => {
  scanEachTest(output, () => passwords);

  it('runs the four steps against the endpoint the SDK is pointed at, and reports each', async () => {
    const master = await postgres.createMaster();
    const user = await createRotatableUser(master, { strategy: 'single' });
    passwords.push(master.password, user.password);
    const { stdout } = await rotateScript('--secret-id', user.secretArn);
    expect(stdout.match(/^(createSecret|setSecret|testSecret|finishSecret) +done/gm)).toHaveLength(4);
    expect(stdout).toContain(`rotated ${user.secretArn}`);
    expect(stdout).not.toContain(user.password);
    const now = await secretAt(user.secretArn, 'AWSCURRENT');
    expect(now.password.reveal()).not.toBe(user.password);
    expect(stdout).not.toContain(now.password.reveal());
    expect(await logsIn(now, master.database)).toBe(true);
  });

  it('refuses to start while a rotation is in flight, and resumes that one with its token', async () => {
    const master = await postgres.createMaster();
    const user = await createRotatableUser(master, { strategy: 'alternating' });
    passwords.push(master.password, user.password);
    const token = randomUUID();
    await rotate(user.secretArn, { token, steps: ['createSecret', 'setSecret'] });

    await expect(rotateScript('--secret-id', user.secretArn)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`being rotated already (version ${token}`),
    });
    const { stdout } = await rotateScript('--secret-id', user.secretArn, '--token', token);

    expect(stdout).toContain(`rotating ${user.secretArn} with version ${token}`);
    expect(stdout).toContain(`rotated ${user.secretArn} (version ${token})`);
    const now = await secretAt(user.secretArn, 'AWSCURRENT');
    expect(stdout).not.toContain(now.password.reveal());
    expect(await logsIn(now, master.database)).toBe(true);
  });

  it('fails clearly, and changes nothing, for a secret that does not exist', async () => {
    await expect(rotateScript('--secret-id', 'no/such/secret')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/rotation failed: .*not found/i),
    });
  });
});
