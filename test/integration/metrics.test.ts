import './support/env';
import { randomUUID } from 'node:crypto';
import { METRIC_NAMES } from '../../lib/metrics';
import { emfDocuments, type EmfDocument } from '../support/emf';
import { TEST_DATABASES } from './support/databases';
import { emfMetrics } from './support/deps';
import { CustomResourceHarness } from './support/harness';
import { uniqueSuffix } from './support/postgres';
import { createRotatableUser, rotate, rotateDeps, rotateHandler, secretAt } from './support/rotation';

const NAMESPACE = 'dbauth/metrics-test';

const REQUEST = {
  count: METRIC_NAMES.customResourceRequests,
  duration: METRIC_NAMES.customResourceRequestDuration,
};
const STEP = { count: METRIC_NAMES.rotationSteps, duration: METRIC_NAMES.rotationStepDuration };

/**
 * Expects `document` to count one event under exactly `dimensions`, in the test's namespace,
 * with a duration above zero and below `wallMs`: by the outcome alone (what the alarms read),
 * and by every dimension.
 */
function expectOneEvent(
  document: EmfDocument | undefined,
  metric: { count: string; duration: string },
  dimensions: Record<string, string>,
  wallMs: number,
): void {
  const sorted = (names: string[]) => [...names].sort();
  const [directive, ...others] = document?._aws.CloudWatchMetrics ?? [];
  expect(others).toEqual([]);
  expect({ ...directive, Dimensions: directive?.Dimensions.map(sorted) }).toEqual({
    Namespace: NAMESPACE,
    Dimensions: [['outcome'], sorted(Object.keys(dimensions))],
    Metrics: [
      { Name: metric.count, Unit: 'Count' },
      { Name: metric.duration, Unit: 'Milliseconds' },
    ],
  });
  const printed = Object.fromEntries(Object.keys(dimensions).map((name) => [name, document?.[name]]));
  expect(printed).toEqual(dimensions);
  expect(document?.[metric.count]).toBe(1);
  const durationMs = document?.[metric.duration];
  expect(durationMs).toBeGreaterThan(0);
  expect(durationMs).toBeLessThan(wallMs);
}

describe.each(TEST_DATABASES)('metrics of the handlers on $name (EMF lines on stdout)', (db) => {
  const harness = new CustomResourceHarness('metrics', db);
  beforeAll(() => harness.setUp());
  afterAll(() => harness.tearDown());
  harness.scanEachTest();

  /** Runs `act`, with the EMF documents it printed and how long it took from here. */
  async function measured<T>(act: () => Promise<T>) {
    const from = harness.capture.text.length;
    const started = performance.now();
    const result = await act();
    const wallMs = performance.now() - started;
    return { result, wallMs, documents: emfDocuments(harness.capture.text.slice(from)) };
  }
  const withMetrics = () => ({ metrics: emfMetrics(NAMESPACE) });
  const rotateWithMetrics = () => rotateHandler({ ...rotateDeps(), ...withMetrics() });

  it('counts and times a Create answered SUCCESS, then its Delete, by request type and engine', async () => {
    const properties = harness.props(`metrics_${uniqueSuffix()}`);

    const created = await measured(() => harness.send('Create', { properties, deps: withMetrics() }));
    expect(created.result.Status).toBe('SUCCESS');
    await harness.storedLogin(created.result.Data?.SecretArn ?? '');
    const deleted = await measured(() =>
      harness.send('Delete', {
        properties,
        physicalResourceId: created.result.PhysicalResourceId,
        deps: withMetrics(),
      }),
    );
    expect(deleted.result.Status).toBe('SUCCESS');

    expect(created.documents).toHaveLength(1);
    expectOneEvent(
      created.documents[0],
      REQUEST,
      { outcome: 'success', requestType: 'Create', engine: db.engine },
      created.wallMs,
    );
    expect(deleted.documents).toHaveLength(1);
    expectOneEvent(
      deleted.documents[0],
      REQUEST,
      { outcome: 'success', requestType: 'Delete', engine: db.engine },
      deleted.wallMs,
    );
  });

  it('counts a request answered FAILED as failed, naming the engine once the master named it', async () => {
    // The master's own name: refused after the master logged in, so its engine is known.
    const properties = harness.props(harness.master.username);

    const { result, documents, wallMs } = await measured(() =>
      harness.send('Create', { properties, deps: withMetrics() }),
    );

    expect(result.Status).toBe('FAILED');
    expect(result.Reason).toContain("is the master user's");
    expect(documents).toHaveLength(1);
    expectOneEvent(
      documents[0],
      REQUEST,
      { outcome: 'failed', requestType: 'Create', engine: db.engine },
      wallMs,
    );
  });

  it('counts a request that fails before any master is read with engine unknown', async () => {
    const { result, documents, wallMs } = await measured(() =>
      harness.send('Update', {
        properties: { Username: 'no_master' },
        oldProperties: harness.props('no_master'),
        physicalResourceId: 'not-made-by-dbauth',
        deps: withMetrics(),
      }),
    );

    expect(result.Status).toBe('FAILED');
    expect(documents).toHaveLength(1);
    expectOneEvent(
      documents[0],
      REQUEST,
      { outcome: 'failed', requestType: 'Update', engine: 'unknown' },
      wallMs,
    );
  });

  it('counts and times each step of a rotation once, by step, strategy and engine', async () => {
    const user = await createRotatableUser(harness.master, { db, strategy: 'alternating' });
    harness.remember(user.password);
    const handler = rotateWithMetrics();

    const { documents, wallMs } = await measured(() => rotate(user.secretArn, { handler }));
    harness.remember((await secretAt(user.secretArn, 'AWSCURRENT')).password.reveal());

    expect(documents.map((document) => document.step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    for (const document of documents) {
      expectOneEvent(
        document,
        STEP,
        { outcome: 'done', step: String(document.step), strategy: 'alternating', engine: db.engine },
        wallMs,
      );
    }
    const total = documents.reduce((sum, document) => sum + Number(document[STEP.duration]), 0);
    expect(total).toBeLessThan(wallMs);
  });

  it('counts a skipped step, and a failed one, each once and by its outcome', async () => {
    const user = await createRotatableUser(harness.master, { db, strategy: 'single' });
    harness.remember(user.password);
    const handler = rotateWithMetrics();
    const { token } = await rotate(user.secretArn, { handler });
    harness.remember((await secretAt(user.secretArn, 'AWSCURRENT')).password.reveal());
    const event = (Step: string, ClientRequestToken = token) => ({
      Step,
      SecretId: user.secretArn,
      ClientRequestToken,
    });

    // finishSecret again: the version is AWSCURRENT already.
    const skipped = await measured(() => handler(event('finishSecret')));
    // testSecret of a version the secret does not have.
    const failed = await measured(() => handler(event('testSecret', randomUUID())).catch((error) => error));
    // A step Secrets Manager never sends fails before the secret is read: nothing is known of it.
    const unknown = await measured(() => handler(event('rotateEverything')).catch((error) => error));

    expect(skipped.result.outcome).toBe('skipped');
    expect(skipped.documents).toHaveLength(1);
    expectOneEvent(
      skipped.documents[0],
      STEP,
      { outcome: 'skipped', step: 'finishSecret', strategy: 'single', engine: db.engine },
      skipped.wallMs,
    );
    expect(failed.result).toBeInstanceOf(Error);
    expect(failed.documents).toHaveLength(1);
    expectOneEvent(
      failed.documents[0],
      STEP,
      { outcome: 'failed', step: 'testSecret', strategy: 'single', engine: db.engine },
      failed.wallMs,
    );
    expect(unknown.result).toBeInstanceOf(Error);
    expect(unknown.documents).toHaveLength(1);
    expectOneEvent(
      unknown.documents[0],
      STEP,
      { outcome: 'failed', step: 'unknown', strategy: 'unknown', engine: 'unknown' },
      unknown.wallMs,
    );
  });
});
