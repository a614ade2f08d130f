import { Metrics } from '@aws-lambda-powertools/metrics';
import { makeLogger } from '../../lib/log';
import { EmfMetrics, engineDimension, makeMetrics, METRIC_NAMES } from '../../lib/metrics';
import { emfDocuments, printedBy } from '../support/emf';

const NAMESPACE = 'dbauth/unit-test';
const logger = makeLogger('dbauth-test');

describe('EmfMetrics', () => {
  it('prints one EMF line per invocation: a count of 1 and the duration, by outcome alone and by every dimension', () => {
    const metrics = new EmfMetrics({ namespace: NAMESPACE, logger });

    const printed = printedBy(() => {
      metrics.rotationStep(
        { outcome: 'failed', step: 'setSecret', strategy: 'alternating', engine: 'mariadb' },
        42.5,
      );
      metrics.flush();
    });

    // Nothing else: no namespace, collision or empty-metrics warning.
    expect(printed.trim().split('\n')).toHaveLength(1);
    const [document] = emfDocuments(printed);
    expect(document?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: NAMESPACE,
        Dimensions: [['outcome'], ['outcome', 'step', 'strategy', 'engine']],
        Metrics: [
          { Name: METRIC_NAMES.rotationSteps, Unit: 'Count' },
          { Name: METRIC_NAMES.rotationStepDuration, Unit: 'Milliseconds' },
        ],
      },
    ]);
    expect(document).toMatchObject({
      outcome: 'failed',
      step: 'setSecret',
      strategy: 'alternating',
      engine: 'mariadb',
      RotationSteps: 1,
      RotationStepDuration: 42.5,
    });
  });

  it('starts each invocation afresh: the outcome and dimensions of the last one are gone', () => {
    const metrics = new EmfMetrics({ namespace: NAMESPACE, logger });
    printedBy(() => {
      metrics.customResourceRequest({ outcome: 'failed', requestType: 'Delete', engine: 'unknown' }, 5);
      metrics.flush();
    });

    const printed = printedBy(() => {
      metrics.customResourceRequest({ outcome: 'success', requestType: 'Create', engine: 'postgres' }, 7);
      metrics.flush();
    });

    expect(printed.trim().split('\n')).toHaveLength(1);
    const [document] = emfDocuments(printed);
    expect(document?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([
      ['outcome'],
      ['outcome', 'requestType', 'engine'],
    ]);
    expect(document).toMatchObject({
      outcome: 'success',
      requestType: 'Create',
      engine: 'postgres',
      CustomResourceRequests: 1,
      CustomResourceRequestDuration: 7,
    });
  });

  it('prints nothing, not even a warning, for an invocation that recorded nothing', () => {
    const metrics = new EmfMetrics({ namespace: NAMESPACE, logger });

    expect(printedBy(() => metrics.flush())).toBe('');
  });

  it('never throws: a metric that cannot be recorded or printed is a warning', () => {
    const failing = new Metrics({ namespace: NAMESPACE });
    jest.spyOn(failing, 'addMetric').mockImplementation(() => {
      throw new RangeError('no room');
    });
    const metrics = new EmfMetrics({ namespace: NAMESPACE, logger, metrics: failing });

    const printed = printedBy(() => {
      metrics.rotationStep(
        { outcome: 'done', step: 'testSecret', strategy: 'single', engine: 'postgres' },
        1,
      );
      jest.spyOn(failing, 'hasStoredMetrics').mockReturnValue(true);
      jest.spyOn(failing, 'publishStoredMetrics').mockImplementation(() => {
        throw new Error('stdout closed');
      });
      metrics.flush();
    });

    const warnings = printed
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warnings).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'metric not recorded', errorName: 'RangeError' }),
      expect.objectContaining({ level: 'WARN', message: 'metrics not published', errorName: 'Error' }),
    ]);
  });
});

describe('makeMetrics', () => {
  it('prints nothing where no namespace is named (scripts, demo, bench: not a deployment)', () => {
    const metrics = makeMetrics({}, logger);

    const printed = printedBy(() => {
      metrics.customResourceRequest({ outcome: 'success', requestType: 'Create', engine: 'postgres' }, 3);
      metrics.flush();
    });

    expect(printed).toBe('');
  });

  it('prints into the namespace the environment names', () => {
    const metrics = makeMetrics({ POWERTOOLS_METRICS_NAMESPACE: NAMESPACE }, logger);

    const printed = printedBy(() => {
      metrics.customResourceRequest({ outcome: 'success', requestType: 'Update', engine: 'mysql' }, 3);
      metrics.flush();
    });

    expect(emfDocuments(printed).map((document) => document._aws.CloudWatchMetrics[0]?.Namespace)).toEqual([
      NAMESPACE,
    ]);
  });
});

describe('engineDimension', () => {
  it.each([
    ['postgres', 'postgres'],
    ['aurora-mysql', 'aurora-mysql'],
    ['mariadb', 'mariadb'],
    ['oracle', 'unknown'],
    ['Postgres', 'unknown'],
    ['', 'unknown'],
    [undefined, 'unknown'],
  ])('keeps a supported engine name (%p -> %p), else says unknown', (name, dimension) => {
    expect(engineDimension(name)).toBe(dimension);
  });
});
