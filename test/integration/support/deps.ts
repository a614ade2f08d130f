import { makeHandler, type CustomResourceDeps } from '../../../handlers/custom-resource';
import { settingsFromEnv } from '../../../lib/config';
import { makeLogger } from '../../../lib/log';
import { rdsClient, secretStore } from './aws';
import { EventBridgePublisher } from '../../../lib/events/publisher';
import { eventBridgeClient } from './event-queue';

/** The custom resource's dependencies, real clients pointed at the local services. */
export function customResourceDeps(overrides: Partial<CustomResourceDeps> = {}): CustomResourceDeps {
  const settings = settingsFromEnv({
    DBAUTH_TLS_MODE: 'disable',
    DBAUTH_CONNECT_TIMEOUT_MS: '3000',
    DBAUTH_STATEMENT_TIMEOUT_MS: '5000',
    DBAUTH_ROTATION_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:dbauth-test-rotate',
  });
  const logger = makeLogger('dbauth-test');
  return {
    ...settings,
    logger,
    store: secretStore(),
    rds: rdsClient(),
    warn: (message, details) => logger.warn(message, details),
    publisher: new EventBridgePublisher(eventBridgeClient(), {
      onFailure: (message, details) => logger.warn(message, details),
    }),
    ...overrides,
  };
}

/** A Lambda context whose deadline is `remainingMs` away. */
export function lambdaContext(remainingMs = 60_000) {
  const deadline = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => deadline - Date.now(), awsRequestId: 'test' };
}

export const customResourceHandler = (overrides: Partial<CustomResourceDeps> = {}) =>
  makeHandler(customResourceDeps(overrides));
