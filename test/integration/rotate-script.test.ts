import './support/env';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgres } from './support/databases';
import { randomUUID } from 'node:crypto';
import { createRotatableUser, logsIn, rotate, secretAt } from './support/rotation';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/** `npm run rotate -- --secret-id X`, as a user runs it: a process of its own against moto. */
async function rotateScript(...args: string[]) {
  return run(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'rotate.ts'), ...args], {
    cwd: root,
    env: { ...process.env, DBAUTH_TLS_MODE: 'disable', POWERTOOLS_LOG_LEVEL: 'ERROR' },
    timeout: 60_000,
  });
}

describe('scripts/rotate.ts, the local driver', () => {
  it('runs the four steps against the endpoint the SDK is pointed at, and reports each', async () => {
    const master = await postgres.createMaster();
    const user = await createRotatableUser(master, { strategy: 'single' });
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
