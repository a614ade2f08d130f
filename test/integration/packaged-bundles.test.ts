import './support/env';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { runLocalRotation } from '../../lib/rotation/local-rotation';
import type { StepResult } from '../../lib/rotation/protocol';
import { emfDocuments } from '../support/emf';
import { outDir, packagedTemplate } from '../support/packaged-template';
import { secretStore, secretsClient } from './support/aws';
import { cfnEvent, testStackId } from './support/cfn-events';
import { CfnResponseServer } from './support/cfn-server';
import { TEST_DATABASES, type TestMaster } from './support/databases';
import { testEnv } from './support/env';
import { uniqueSuffix } from './support/postgres';
import { enableRotation, secretAt } from './support/rotation';
import { secretEvent } from './support/secret-events';
import { OutputCapture, scanEachTest } from './support/capture';

const run = promisify(execFile);
const CA = process.env.DBAUTH_TEST_CA ?? '/tmp/dbauth-services/tls/ca.pem';
const RESULT_MARK = '\n@@dbauth-result@@';

/**
 * Loads a handler from the zip `serverless package` built and calls it once, in a fresh Node
 * process as Lambda would: what the bundler made (ESM chunks, the drivers loaded on first
 * connect, the CommonJS dependencies' require) is what runs, not the TypeScript the other tests run.
 */
const INVOKE = `
const [file, event] = process.argv.slice(1);
const { handler } = await import(file);
const deadline = Date.now() + 60000;
const result = await handler(JSON.parse(event), {
  getRemainingTimeInMillis: () => deadline - Date.now(),
  awsRequestId: 'bundle-test',
});
process.stdout.write(${JSON.stringify(RESULT_MARK)} + JSON.stringify(result ?? null));
`;

describe('the packaged bundles run as built', () => {
  const server = new CfnResponseServer();
  // What the bundles print, in processes of their own: each invocation's output is recorded here.
  const output = new OutputCapture();
  const passwords: string[] = [];
  let unpacked: string;

  // What a deployed function has: a region and its settings, verified TLS to the database.
  const lambdaEnv = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: testEnv.aws.region,
    AWS_ENDPOINT_URL: testEnv.aws.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    DBAUTH_TLS_MODE: 'verify-full',
    DBAUTH_CA_BUNDLE: CA,
    DBAUTH_DEFAULT_ROTATION_SCHEDULE: '30',
    POWERTOOLS_METRICS_NAMESPACE: 'dbauth/bundle-test',
    // The run's log level, so that a SILENT run shows what the leak checks see then.
    ...(process.env.POWERTOOLS_LOG_LEVEL ? { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL } : {}),
  };

  async function invoke(fn: 'customResource' | 'rotate' | 'secretEvents', event: unknown) {
    const file = {
      customResource: 'custom-resource',
      rotate: 'rotate',
      secretEvents: 'secret-events',
    }[fn];
    const path = join(unpacked, fn, 'handlers', `${file}.mjs`);
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ['--input-type=module', '-e', INVOKE, path, JSON.stringify(event)],
        { env: lambdaEnv, timeout: 60_000 },
      );
      output.record(`${stdout}\n${stderr}`);
      const [, result] = stdout.split(RESULT_MARK);
      return JSON.parse(result ?? 'null') as unknown;
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      output.record(`${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
      throw new Error(`${fn} bundle failed: ${failed.stderr ?? String(error)}`);
    }
  }

  beforeAll(async () => {
    packagedTemplate();
    unpacked = mkdtempSync(join(tmpdir(), 'dbauth-bundles-'));
    for (const fn of ['customResource', 'rotate', 'secretEvents']) {
      await run('python3', ['-m', 'zipfile', '-e', join(outDir, `${fn}.zip`), join(unpacked, fn)]);
    }
    await server.start();
  }, 300_000);
  afterAll(async () => {
    await server.stop();
    rmSync(unpacked, { recursive: true, force: true });
  });
  scanEachTest(
    output,
    () => passwords,
    () => server.received.map((r) => r.raw),
  );

  describe.each(TEST_DATABASES)('on $name', (db) => {
    let master: TestMaster;
    let masterArn: string;
    const stackId = testStackId(`bundles-${uniqueSuffix()}`);

    beforeAll(async () => {
      master = await db.createMaster();
      passwords.push(master.password);
      masterArn = await db.putMasterSecret(master);
      await db.asMaster(master, db.itemsTable);
    });

    async function customResource(
      type: 'Create' | 'Delete',
      properties: Record<string, unknown>,
      id?: string,
    ) {
      const event = cfnEvent(type, server, {
        properties,
        stackId,
        logicalResourceId: 'BundledUser',
        ...(id ? { physicalResourceId: id } : {}),
      });
      const before = server.received.length;
      await invoke('customResource', event);
      const answers = server.received.slice(before).map((r) => r.body);
      expect(answers).toHaveLength(1);
      return answers[0];
    }

    /** AWSCURRENT of a secret the bundles made, and its login over verified TLS (remembered for the leak check). */
    async function storedLogin(secretArn: string) {
      const value = await secretAt(secretArn, 'AWSCURRENT');
      passwords.push(value.password.reveal());
      const login = {
        user: value.username,
        password: value.password.reveal(),
        database: master.database,
        ssl: { ca: readFileSync(CA, 'utf8') },
      };
      return { value, login };
    }

    it('creates a user, rotates its secret and drops it, each invocation printing one metric line', async () => {
      const username = `bundled_${uniqueSuffix()}`;
      const properties = { MasterSecretArn: masterArn, Username: username, Database: master.database };
      const created = await customResource('Create', properties);
      expect(created?.Status).toBe('SUCCESS');
      const secretArn = String(created?.Data?.SecretArn);
      const { value: before, login } = await storedLogin(secretArn);
      expect(await db.tryAs(login, "INSERT INTO items (name) VALUES ('bundled')")).toBe(db.denied);
      expect(await db.tryAs(login, 'SELECT count(*) FROM items')).toBe('ok');

      await enableRotation(secretArn);
      const { results } = await runLocalRotation(
        (event) => invoke('rotate', event) as Promise<StepResult>,
        secretStore(),
        secretArn,
      );
      expect(results.map((result) => result.step)).toEqual([
        'createSecret',
        'setSecret',
        'testSecret',
        'finishSecret',
      ]);
      const after = await secretAt(secretArn, 'AWSCURRENT');
      passwords.push(after.password.reveal());
      expect(after.password.reveal()).not.toBe(before.password.reveal());
      expect(await db.tryAs({ ...login, password: after.password.reveal() }, 'SELECT 1')).toBe('ok');
      expect(await db.tryAs(login, 'SELECT 1')).not.toBe('ok');

      const deleted = await customResource('Delete', properties, created?.PhysicalResourceId);
      expect(deleted?.Status).toBe('SUCCESS');
      expect(await db.userExists(username)).toBe(false);
      // Each invocation printed its metrics, as a deployed function does: one EMF line.
      const counted = emfDocuments(output.text).map((document) => [
        document._aws.CloudWatchMetrics[0]?.Namespace,
        document._aws.CloudWatchMetrics[0]?.Metrics[0]?.Name,
        document.outcome,
        document.engine,
      ]);
      const step = ['dbauth/bundle-test', 'RotationSteps', 'done', db.engine];
      const request = ['dbauth/bundle-test', 'CustomResourceRequests', 'success', db.engine];
      expect(counted).toEqual([request, step, step, step, step, request]);
    });

    it('creates the user of a secret created with dbauth tags, and the login it stored works', async () => {
      const username = `bundled_tag_${uniqueSuffix()}`;
      const name = `dbauth/test/app/${uniqueSuffix()}`;
      const created = await secretsClient().send(
        new CreateSecretCommand({
          Name: name,
          SecretString: JSON.stringify({ username }),
          Tags: [
            { Key: 'dbauth:master', Value: masterArn },
            { Key: 'dbauth:rotation', Value: 'off' },
          ],
        }),
      );
      const secretArn = created.ARN ?? '';
      const result = await invoke(
        'secretEvents',
        secretEvent('create-secret', { secretArn, secretName: name, masterArn }),
      );
      expect(result).toMatchObject({ outcomes: { [secretArn]: 'created' } });
      const { login } = await storedLogin(secretArn);
      expect(await db.tryAs(login, 'SELECT count(*) FROM items')).toBe('ok');
    });
  });
});
