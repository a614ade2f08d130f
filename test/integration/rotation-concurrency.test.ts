import './support/env';
import { randomUUID } from 'node:crypto';
import { OutputCapture, scanEachTest } from './support/capture';
import { TEST_DATABASES, type TestMaster } from './support/databases';
import { makeSecretsManagerClient } from '../../lib/aws/clients';
import { secretStore } from './support/aws';
import { testEnv } from './support/env';
import { HoldingHttpProxy } from './support/holding-http-proxy';
import { createRotatableUser, logsIn, rotate, rotateDeps, rotateHandler, secretAt } from './support/rotation';

describe.each(TEST_DATABASES)('one rotation at a time per secret on $name', (db) => {
  const output = new OutputCapture();
  const passwords: string[] = [];
  let master: TestMaster;

  beforeAll(async () => {
    master = await db.createMaster();
    passwords.push(master.password);
  });
  scanEachTest(output, () => passwords);

  async function currentLogsIn(secretArn: string): Promise<boolean> {
    const current = await secretAt(secretArn, 'AWSCURRENT');
    passwords.push(current.password.reveal());
    return logsIn(current, master.database);
  }

  it.each(['single', 'alternating'] as const)(
    'refuses a second token while one is in flight (%s), and AWSCURRENT logs in at every instant',
    async (strategy) => {
      const user = await createRotatableUser(master, { strategy, db });
      passwords.push(user.password);
      const first = randomUUID();
      await rotate(user.secretArn, { token: first, steps: ['createSecret', 'setSecret', 'testSecret'] });
      const pending = (await secretAt(user.secretArn, 'AWSPENDING')).password.reveal();
      passwords.push(pending);
      expect(await currentLogsIn(user.secretArn)).toBe(strategy === 'alternating');

      // A second rotation with its own token, as a second driver or a retried RotateSecret would start one.
      const second = randomUUID();
      await expect(rotate(user.secretArn, { token: second, steps: ['createSecret'] })).rejects.toThrow(
        `version ${first} is AWSPENDING with a password`,
      );
      await expect(rotate(user.secretArn)).rejects.toThrow(`--token ${first}`);
      expect((await secretAt(user.secretArn, 'AWSPENDING')).password.reveal()).toBe(pending);

      await rotate(user.secretArn, { token: first, steps: ['finishSecret'] });
      expect(await currentLogsIn(user.secretArn)).toBe(true);
      // Once it is over, the next rotation starts as usual.
      await rotate(user.secretArn);
      expect(await currentLogsIn(user.secretArn)).toBe(true);
    },
  );

  it("refuses a second rotation while the first one's finishSecret is held on its way to Secrets Manager", async () => {
    const proxy = new HoldingHttpProxy(new URL(testEnv.aws.endpoint));
    await proxy.start();
    try {
      const user = await createRotatableUser(master, { strategy: 'alternating', db });
      passwords.push(user.password);
      const store = secretStore(
        makeSecretsManagerClient({ endpoint: proxy.endpoint, region: testEnv.aws.region }),
      );
      const slow = rotateHandler({ ...rotateDeps(), store });
      const first = randomUUID();
      await rotate(user.secretArn, { token: first, steps: ['createSecret', 'setSecret', 'testSecret'] });
      passwords.push((await secretAt(user.secretArn, 'AWSPENDING')).password.reveal());
      proxy.holding = 'secretsmanager.UpdateSecretVersionStage';
      const finishing = rotate(user.secretArn, { token: first, steps: ['finishSecret'], handler: slow });
      while (proxy.heldCount === 0) await new Promise((resolve) => setTimeout(resolve, 20));

      await expect(rotate(user.secretArn, { token: randomUUID(), steps: ['createSecret'] })).rejects.toThrow(
        `version ${first} is AWSPENDING with a password`,
      );
      expect(await currentLogsIn(user.secretArn)).toBe(true);
      proxy.release();
      await finishing;

      expect((await secretStore().describe(user.secretArn)).versions[first]).toContain('AWSCURRENT');
      expect(await currentLogsIn(user.secretArn)).toBe(true);
    } finally {
      await proxy.stop();
    }
  });
});
