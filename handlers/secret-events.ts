import type { Logger } from '@aws-lambda-powertools/logger';
import { makeEventBridgeClient, makeRdsClient, makeSecretsManagerClient } from '../lib/aws/clients';
import { settingsFromEnv } from '../lib/config';
import { signalOf } from '../lib/events/incoming';
import { EventBridgePublisher } from '../lib/events/publisher';
import { handleSignal, type SignalResult } from '../lib/events/secret-signals';
import { errorDetails, makeLogger } from '../lib/log';
import { SecretStore } from '../lib/secrets/secret-store';
import type { TaggedSecretDeps } from '../lib/users/tagged-secret';

export interface SecretEventsDeps extends TaggedSecretDeps {
  logger: Logger;
}

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): SecretEventsDeps {
  const settings = settingsFromEnv(env);
  const logger = makeLogger();
  const warn = (message: string, details: Record<string, unknown>) => logger.warn(message, details);
  return {
    ...settings,
    logger,
    warn,
    store: new SecretStore(makeSecretsManagerClient()),
    rds: makeRdsClient(),
    publisher: new EventBridgePublisher(makeEventBridgeClient(), {
      ...(settings.eventBusName ? { busName: settings.eventBusName } : {}),
      onFailure: warn,
    }),
  };
}

/**
 * Secrets Manager events from EventBridge (CloudTrail API calls and service events, and the
 * native Secret Label Updated). A thrown error makes Lambda retry, then go to the on-failure
 * destination.
 */
export function makeHandler(deps: SecretEventsDeps) {
  return async (rawEvent: unknown): Promise<SignalResult> => {
    try {
      const signal = signalOf(rawEvent);
      deps.logger.appendKeys({
        signal: signal.kind,
        ...('secretId' in signal ? { secretId: signal.secretId, cause: signal.cause } : {}),
      });
      const result = await handleSignal(signal, deps);
      deps.logger.info('event handled', {
        outcomes: result.outcomes,
        ...('reason' in signal ? { reason: signal.reason } : {}),
      });
      return result;
    } catch (error) {
      deps.logger.error('event failed', errorDetails(error));
      throw error;
    } finally {
      deps.logger.resetKeys();
    }
  };
}

export const handler = makeHandler(defaultDeps());
