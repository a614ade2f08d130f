/**
 * The main job, run locally: a Custom::DatabaseUser Create (with alternating-users rotation),
 * two rotations, an Update and a Delete against the local PostgreSQL and moto server that
 * scripts/test-services.sh starts. CloudFormation's part (the pre-signed response URL) is
 * played by a local HTTP server, Secrets Manager's part in a rotation by lib/rotation/local-rotation.
 * Then the event path: a secret created with a `dbauth:master` tag gets its user, as the
 * secretEvents function does when CloudTrail's CreateSecret event reaches it. Last, the drift
 * audit finds that user as declared, then a grant added by hand (as `npm run audit` would).
 */
import '../test/integration/support/env';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { putMaster, secretStore, secretsClient } from '../test/integration/support/aws';
import { postgres } from '../test/integration/support/databases';
import { secretEvent, secretEventsHandler } from '../test/integration/support/secret-events';
import { CfnResponseServer } from '../test/integration/support/cfn-server';
import { cfnEvent } from '../test/integration/support/cfn-events';
import { customResourceHandler, lambdaContext, testDeps } from '../test/integration/support/deps';
import { motoRotationFunctionArn } from '../test/integration/support/lambda';
import { createPgMaster, pgTry, uniqueSuffix } from '../test/integration/support/postgres';
import { rotate } from '../test/integration/support/rotation';
import { renderTable } from '../lib/audit/render';
import { runAudit } from '../lib/audit/run';
import { auditServer } from '../lib/audit/server-audit';
import { auditSettingsFromEnv } from '../lib/audit/settings';
import { MemoryDriftState } from '../lib/audit/state';
import { parseAppSecret } from '../lib/secrets/secret-value';
import { randomUUID } from 'node:crypto';

async function main(): Promise<void> {
  // The handlers' JSON logs would drown the story; warnings and errors still show.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const server = new CfnResponseServer();
  await server.start();
  const master = await createPgMaster();
  // The database's owner names whom its master serves: the demo team's stacks and secrets.
  const consent = {
    'dbauth:allow-stacks': 'demo-',
    'dbauth:allow-secrets': 'dbauth/demo/',
    'dbauth:max-grants': 'readwrite',
  };
  const masterArn = await putMaster(postgres.masterSecretValue(master), consent);
  console.log(`Master  -> consent tags ${JSON.stringify(consent)}`);
  const handler = customResourceHandler({ rotationLambdaArn: await motoRotationFunctionArn() });
  const stackArn = (name: string) =>
    `arn:aws:cloudformation:us-east-1:123456789012:stack/${name}/${randomUUID()}`;
  const stackId = stackArn('demo-app');
  const properties = {
    MasterSecretArn: masterArn,
    Username: `demo_app_${uniqueSuffix()}`,
    Database: master.database,
    Grants: 'readwrite',
    Rotation: { Strategy: 'alternating', AutomaticallyAfterDays: '30' },
  };

  // Another team's stack names the same master: refused, nothing made.
  const refused = await handler(
    cfnEvent('Create', server, { properties, stackId: stackArn('other-team-app') }),
    lambdaContext(),
  );
  console.log(`Create  -> ${refused.Status} for stack other-team-app: ${refused.Reason}`);

  const created = await handler(cfnEvent('Create', server, { properties, stackId }), lambdaContext());
  console.log(`Create  -> ${created.Status} ${created.PhysicalResourceId}`);
  console.log(`           Data: ${JSON.stringify(created.Data)}`);
  const arn = created.Data?.SecretArn ?? '';
  const current = async () =>
    parseAppSecret(arn, await secretStore().getString(arn, { stage: 'AWSCURRENT' }));
  const loginOf = async () => {
    const secret = await current();
    return { user: secret.username, password: secret.password.reveal(), database: master.database };
  };
  const first = await loginOf();
  console.log(`           ${first.user} logs in with the stored password: ${await pgTry(first, 'SELECT 1')}`);

  let before = first;
  for (let round = 1; round <= 2; round += 1) {
    await rotate(arn, {
      onStep: (result, ms) =>
        console.log(`Rotate  -> ${result.step.padEnd(12)} ${result.outcome} (${ms} ms)`),
    });
    const login = await loginOf();
    console.log(
      `           AWSCURRENT is now ${login.user}: ${await pgTry(login, 'SELECT 1')}; ` +
        `the login it replaced (${before.user}) still works: ${await pgTry(before, 'SELECT 1')}`,
    );
    before = login;
  }
  const login = await loginOf();

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

  // The event path: what the secretEvents function does with CloudTrail's CreateSecret event.
  const tagged = `demo_tagged_${uniqueSuffix()}`;
  const secretName = `dbauth/demo/app-${uniqueSuffix()}`;
  const out = await secretsClient().send(
    new CreateSecretCommand({
      Name: secretName,
      SecretString: JSON.stringify({ username: tagged }),
      Tags: [
        { Key: 'dbauth:master', Value: masterArn },
        { Key: 'dbauth:grants', Value: 'readwrite' },
        { Key: 'dbauth:rotation', Value: 'off' },
      ],
    }),
  );
  const secretArn = out.ARN ?? '';
  const result = await secretEventsHandler()(
    secretEvent('create-secret', { secretArn, secretName, masterArn }),
  );
  const filled = parseAppSecret(secretArn, await secretStore().getString(secretArn, { stage: 'AWSCURRENT' }));
  const taggedLogin = { user: tagged, password: filled.password.reveal(), database: master.database };
  console.log(`Tagged  -> ${result.outcomes[secretArn]}: secret ${secretName} tagged dbauth:master`);
  console.log(
    `           ${tagged} logs in with the password dbauth put in it: ${await pgTry(taggedLogin, 'SELECT 1')}`,
  );

  // The drift audit of that secret, as `npm run audit -- --secret-id <it>` runs it.
  const deps = {
    ...testDeps(),
    audit: auditSettingsFromEnv({}),
    driftState: new MemoryDriftState(),
  };
  const audit = () =>
    runAudit(
      { trigger: 'on-demand', secretIds: [secretArn], repair: false, publish: false, budgetMs: 60_000 },
      deps,
      (input) => auditServer(input, deps),
    );
  console.log(`Audit   -> ${(await audit()).summary.findings.open} findings for ${tagged} as it was made`);
  await postgres.asMaster(master, `GRANT CREATE ON SCHEMA public TO ${tagged}`);
  console.log(`Audit   -> after GRANT CREATE ON SCHEMA public by hand:`);
  console.log(renderTable(await audit(), 120).replace(/^/gm, '           '));
  await server.stop();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
