import './support/env';
import { TEST_DATABASES, type TestMaster } from './support/databases';
import { CfnResponseServer } from './support/cfn-server';
import { cfnEvent, testStackId } from './support/cfn-events';
import { customResourceHandler, lambdaContext } from './support/deps';
import { uniqueSuffix } from './support/postgres';
import { secretStore } from './support/aws';
import { parseAppSecret } from '../../lib/secrets/secret-value';
import { OutputCapture, scanEachTest } from './support/capture';

describe.each(TEST_DATABASES)('Custom::DatabaseUser on $name (smoke)', (db) => {
  const server = new CfnResponseServer();
  let master: TestMaster;
  let masterArn: string;

  beforeAll(async () => {
    await server.start();
    master = await db.createMaster();
    masterArn = await db.putMasterSecret(master);
  });
  afterAll(() => server.stop());
  scanEachTest(
    new OutputCapture(),
    () => [master.password],
    () => server.received.map((r) => r.raw),
  );

  it('creates a user that logs in with the stored password, then drops it on delete', async () => {
    const handler = customResourceHandler();
    const username = `smoke_${uniqueSuffix()}`;
    const stackId = testStackId('smoke');
    const properties = {
      MasterSecretArn: masterArn,
      Username: username,
      Database: master.database,
      Grants: 'readonly',
    };
    const created = await handler(
      cfnEvent('Create', server, { properties, stackId, requestId: 'req-create-1' }),
      lambdaContext(),
    );
    expect(created.Status).toBe('SUCCESS');
    expect(server.responseTo('req-create-1').Status).toBe('SUCCESS');
    const secretArn = created.Data?.SecretArn ?? '';
    const value = parseAppSecret(
      secretArn,
      await secretStore().getString(secretArn, { stage: 'AWSCURRENT' }),
    );
    expect(
      await db.tryAs(
        { user: username, password: value.password.reveal(), database: master.database },
        'SELECT 1',
      ),
    ).toBe('ok');

    const deleted = await handler(
      cfnEvent('Delete', server, {
        properties,
        stackId,
        physicalResourceId: created.PhysicalResourceId,
        requestId: 'req-delete-1',
      }),
      lambdaContext(),
    );
    expect(deleted.Status).toBe('SUCCESS');
    expect(await db.userExists(username)).toBe(false);
  });
});
