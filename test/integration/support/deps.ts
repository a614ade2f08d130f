import { makeHandler, type CustomResourceDeps } from '../../../handlers/custom-resource';
import { settingsFromEnv } from '../../../lib/config';
import type { Deps } from '../../../lib/deps';
import { makeLogger } from '../../../lib/log';
import { makeMetrics, type InvocationMetrics } from '../../../lib/metrics';
import { rdsClient, secretStore } from './aws';
import { EventBridgePublisher } from '../../../lib/events/publisher';
import { eventBridgeClient } from './event-queue';

/**
 * What every handler is built from, as the tests build it: real clients pointed at the local
 * services, TLS off (the local servers are reached over plaintext unless a test says
 * otherwise) and short timeouts. `env` adds or overrides settings; metrics are printed only
 * when it names POWERTOOLS_METRICS_NAMESPACE (see `emfMetrics`), as on a deployment.
 */
export function testDeps(options: { env?: NodeJS.ProcessEnv; busName?: string } = {}): Deps {
  const settings = settingsFromEnv({
    DBAUTH_TLS_MODE: 'disable',
    DBAUTH_CONNECT_TIMEOUT_MS: '3000',
    DBAUTH_STATEMENT_TIMEOUT_MS: '5000',
    ...options.env,
  });
  const logger = makeLogger('dbauth-test');
  const warn = (message: string, details: Record<string, unknown>) => logger.warn(message, details);
  return {
    ...settings,
    logger,
    metrics: makeMetrics(options.env ?? {}, logger),
    warn,
    store: secretStore(),
    rds: rdsClient(),
    publisher: new EventBridgePublisher(eventBridgeClient(), {
      busName: options.busName,
      onFailure: warn,
    }),
  };
}

/** Metrics printed as a deployed function prints them (EMF lines on stdout), in `namespace`. */
export const emfMetrics = (namespace: string): InvocationMetrics =>
  makeMetrics({ POWERTOOLS_METRICS_NAMESPACE: namespace }, makeLogger('dbauth-test'));

/** The custom resource's dependencies (a rotation function ARN that moto need not know). */
export function customResourceDeps(overrides: Partial<CustomResourceDeps> = {}): CustomResourceDeps {
  return {
    ...testDeps({
      env: {
        DBAUTH_ROTATION_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:dbauth-test-rotate',
      },
    }),
    ...overrides,
  };
}

/** A Lambda context whose deadline is `remainingMs` away. */
export function lambdaContext(remainingMs = 60_000) {
  const deadline = Date.now() + remainingMs;
  return {
    getRemainingTimeInMillis: () => deadline - Date.now(),
    awsRequestId: 'test',
    // moto's account: the functions check master secrets against it.
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dbauth-test',
  };
}

export const customResourceHandler = (overrides: Partial<CustomResourceDeps> = {}) =>
  makeHandler(customResourceDeps(overrides));
