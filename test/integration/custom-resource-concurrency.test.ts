import './support/env';
import { CfnResponseServer } from './support/cfn-server';
import { cfnEvent, testStackId } from './support/cfn-events';
import { customResourceHandler, lambdaContext } from './support/deps';
import { TEST_DATABASES } from './support/databases';
import { uniqueSuffix } from './support/postgres';
import { OutputCapture, scanEachTest } from './support/capture';

describe.each(TEST_DATABASES)(
  'Custom::DatabaseUser resources of one stack, created at once on $name',
  (db) => {
    const server = new CfnResponseServer();
    beforeAll(() => server.start());
    afterAll(() => server.stop());
    const passwords: string[] = [];
    scanEachTest(
      new OutputCapture(),
      () => passwords,
      () => server.received.map((r) => r.raw),
    );

    it('creates ten users in one database in parallel, each with its grants', async () => {
      const master = await db.createMaster();
      passwords.push(master.password);
      const masterArn = await db.putMasterSecret(master);
      const handler = customResourceHandler();
      const stackId = testStackId('parallel');
      const usernames = Array.from({ length: 10 }, () => `parallel_${uniqueSuffix()}`);
      // CloudFormation creates independent resources concurrently; PostgreSQL refuses concurrent
      // GRANTs on one schema ("tuple concurrently updated") unless they take turns.
      const responses = await Promise.all(
        usernames.map((username, index) =>
          handler(
            cfnEvent('Create', server, {
              properties: {
                MasterSecretArn: masterArn,
                Username: username,
                Database: master.database,
                Grants: 'readwrite',
              },
              stackId,
              logicalResourceId: `User${index}`,
            }),
            lambdaContext(),
          ),
        ),
      );
      expect(responses.map((r) => `${r.Status} ${r.Status === 'FAILED' ? r.Reason : ''}`.trim())).toEqual(
        usernames.map(() => 'SUCCESS'),
      );
      for (const username of usernames) expect(await db.userExists(username)).toBe(true);
    });
  },
);
