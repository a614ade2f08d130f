/**
 * The main job, run locally: a Custom::DatabaseUser Create, Update and Delete against the
 * local PostgreSQL and moto server that scripts/test-services.sh starts. CloudFormation's
 * part (the pre-signed response URL) is played by a local HTTP server.
 */
import '../test/integration/support/env';
import { secretStore } from '../test/integration/support/aws';
import { CfnResponseServer } from '../test/integration/support/cfn-server';
import { cfnEvent } from '../test/integration/support/cfn-events';
import { customResourceHandler, lambdaContext } from '../test/integration/support/deps';
import { createPgMaster, putPgMasterSecret, pgTry } from '../test/integration/support/postgres';
import { parseAppSecret } from '../lib/secrets/secret-value';
import { randomUUID } from 'node:crypto';

async function main(): Promise<void> {
  const server = new CfnResponseServer();
  await server.start();
  const master = await createPgMaster();
  const masterArn = await putPgMasterSecret(master);
  const handler = customResourceHandler();
  const stackId = `arn:aws:cloudformation:us-east-1:123456789012:stack/demo/${randomUUID()}`;
  const properties = {
    MasterSecretArn: masterArn,
    Username: 'demo_app',
    Database: master.database,
    Grants: 'readwrite',
  };

  const created = await handler(cfnEvent('Create', server, { properties, stackId }), lambdaContext());
  console.log(`Create  -> ${created.Status} ${created.PhysicalResourceId}`);
  console.log(`           Data: ${JSON.stringify(created.Data)}`);
  const arn = created.Data?.SecretArn ?? '';
  const secret = parseAppSecret(arn, await secretStore().getString(arn, { stage: 'AWSCURRENT' }));
  const login = { user: 'demo_app', password: secret.password.reveal(), database: master.database };
  console.log(`           demo_app logs in with the stored password: ${await pgTry(login, 'SELECT 1')}`);

  const readonly = { ...properties, Grants: 'readonly' };
  const updated = await handler(
    cfnEvent('Update', server, {
      properties: readonly,
      oldProperties: properties,
      stackId,
      physicalResourceId: created.PhysicalResourceId,
    }),
    lambdaContext(),
  );
  console.log(
    `Update  -> ${updated.Status} (grants readwrite -> readonly, same id: ${updated.PhysicalResourceId === created.PhysicalResourceId})`,
  );

  const deleted = await handler(
    cfnEvent('Delete', server, {
      properties: readonly,
      stackId,
      physicalResourceId: created.PhysicalResourceId,
    }),
    lambdaContext(),
  );
  console.log(
    `Delete  -> ${deleted.Status}; login afterwards: ${await pgTry(login, 'SELECT 1')} (28P01 = refused)`,
  );
  await server.stop();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
