import './support/env';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgres } from './support/databases';
import { createRotatableUser, logsIn, secretAt } from './support/rotation';

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

  it('fails clearly, and changes nothing, for a secret that does not exist', async () => {
    await expect(rotateScript('--secret-id', 'no/such/secret')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/rotation failed: .*not found/i),
    });
  });
});
