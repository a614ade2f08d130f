import './support/env';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { SecretStore } from '../../lib/secrets/secret-store';
import { secretsClient, secretStore } from './support/aws';
import { CfnResponseServer } from './support/cfn-server';
import { cfnEvent, testStackId } from './support/cfn-events';
import { customResourceHandler, lambdaContext } from './support/deps';
import { createPgMaster, pgRoleExists, putPgMasterSecret, uniqueSuffix } from './support/postgres';
import { createRotatableUser, logsIn, rotate, rotateDeps, rotateHandler, secretAt } from './support/rotation';
import { OutputCapture, scanEachTest } from './support/capture';

/**
 * Faults moto cannot produce (throttling, 5xx), injected into real clients below their retry
 * middleware: every attempt of the named operation fails, everything else reaches moto.
 */
function failEvery(client: SecretsManagerClient, operation: string, errorName: string, status: number) {
  const attempts = { count: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== `${operation}Command`) return next(args);
      attempts.count += 1;
      const error = Object.assign(new Error(`injected ${errorName}`), {
        name: errorName,
        $fault: status >= 500 ? 'server' : 'client',
        $metadata: { httpStatusCode: status, attempts: attempts.count },
      });
      throw error;
    },
    { step: 'deserialize', name: `inject${operation}Fault`, priority: 'low' },
  );
  return attempts;
}

describe('AWS faults moto cannot produce, in the Secrets Manager client', () => {
  it('retries a throttled call a bounded number of times, then fails clearly', async () => {
    const client = secretsClient();
    const attempts = failEvery(client, 'DescribeSecret', 'ThrottlingException', 400);
    const store = new SecretStore(client);
    await expect(store.describe('any-secret')).rejects.toThrow(
      'Secrets Manager DescribeSecret on any-secret failed: ThrottlingException',
    );
    expect(attempts.count).toBe(3);
  });

  it('tries again when an answer could not be parsed, a bounded number of times', async () => {
    const client = secretsClient();
    let garbled = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetRandomPasswordCommand' && garbled < 2) {
          garbled += 1;
          throw Object.assign(new Error('Unexpected end of JSON input'), { name: 'SyntaxError' });
        }
        return next(args);
      },
      { step: 'deserialize', name: 'garbleTwice', priority: 'low' },
    );
    const password = await new SecretStore(client).randomPassword({
      length: 20,
      excludeCharacters: '',
      excludePunctuation: true,
      requireEachIncludedType: true,
    });
    expect(password.reveal()).toHaveLength(20);
    expect(garbled).toBe(2);

    const always = secretsClient();
    const attempts = failEvery(always, 'DescribeSecret', 'SyntaxError', 200);
    await expect(new SecretStore(always).describe('any')).rejects.toThrow(/failed: SyntaxError/);
    expect(attempts.count).toBe(3);
  });
});

describe('AWS faults moto cannot produce, in the handlers', () => {
  const server = new CfnResponseServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());
  scanEachTest(
    new OutputCapture(),
    () => [],
    () => server.received.map((r) => r.raw),
  );

  it('answers FAILED and leaves no user when CreateSecret keeps failing (5xx)', async () => {
    const master = await createPgMaster();
    const masterArn = await putPgMasterSecret(master);
    const store = secretStore();
    failEvery(store.client, 'CreateSecret', 'InternalServiceError', 500);
    const handler = customResourceHandler({ store });
    const username = `faulty_${uniqueSuffix()}`;
    const response = await handler(
      cfnEvent('Create', server, {
        properties: { MasterSecretArn: masterArn, Username: username, Database: master.database },
        stackId: testStackId('faults'),
      }),
      lambdaContext(),
    );
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(/CreateSecret .* failed: InternalServiceError/);
    expect(await pgRoleExists(username)).toBe(false);
  });

  it('fails a rotation step on a throttled PutSecretValue and leaves AWSCURRENT as it was', async () => {
    const master = await createPgMaster();
    const user = await createRotatableUser(master, { strategy: 'single' });
    const before = (await secretStore().describe(user.secretArn)).versions;
    const deps = rotateDeps();
    failEvery(deps.store.client, 'PutSecretValue', 'ThrottlingException', 400);
    await expect(rotate(user.secretArn, { handler: rotateHandler(deps) })).rejects.toThrow(
      /PutSecretValue .* failed: ThrottlingException/,
    );
    expect((await secretStore().describe(user.secretArn)).versions).toEqual(before);
  });

  it('takes a refused put in a retried createSecret as the pending version an earlier attempt made', async () => {
    const master = await createPgMaster();
    const user = await createRotatableUser(master, { strategy: 'single' });
    const token = randomUUID();
    await rotate(user.secretArn, { handler: rotateHandler(rotateDeps()), token, steps: ['createSecret'] });
    const pending = await secretStore().getString(user.secretArn, { versionId: token });
    // A retry on a cold function: the token is staged, its value unknown there, and AWS refuses
    // a second value for the version (moto would replace it, so the refusal is injected).
    const cold = rotateDeps({ versionCache: false });
    const refused = failEvery(cold.store.client, 'PutSecretValue', 'ResourceExistsException', 400);
    await rotate(user.secretArn, { handler: rotateHandler(cold), token, steps: ['createSecret'] });
    expect(refused.count).toBe(1);
    const after = await secretStore().getString(user.secretArn, { versionId: token });
    expect(after.equals(pending)).toBe(true);
    // The rotation goes on with the version the first attempt put.
    await rotate(user.secretArn, {
      handler: rotateHandler(rotateDeps({ versionCache: false })),
      token,
      steps: ['setSecret', 'testSecret', 'finishSecret'],
    });
    expect((await secretStore().describe(user.secretArn)).versions[token]).toContain('AWSCURRENT');
    expect(await logsIn(await secretAt(user.secretArn, 'AWSCURRENT'), master.database)).toBe(true);
  });
});
