import type { Logger } from '@aws-lambda-powertools/logger';
import { makeEventBridgeClient, makeRdsClient, makeSecretsManagerClient } from '../lib/aws/clients';
import { settingsFromEnv } from '../lib/config';
import { InvalidInputError } from '../lib/errors';
import { EventBridgePublisher } from '../lib/events/publisher';
import { makeLogger } from '../lib/log';
import type { RotationDeps } from '../lib/rotation/context';
import { rotationEvent } from '../lib/rotation/event';
import { runRotationStep, type StepResult } from '../lib/rotation/protocol';
import { SecretStore } from '../lib/secrets/secret-store';

export interface RotateDeps extends RotationDeps {
  logger: Logger;
}

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): RotateDeps {
  const settings = settingsFromEnv(env);
  const logger = makeLogger();
  return {
    ...settings,
    logger,
    store: new SecretStore(makeSecretsManagerClient()),
    rds: makeRdsClient(),
    publisher: new EventBridgePublisher(makeEventBridgeClient(), {
      ...(settings.eventBusName ? { busName: settings.eventBusName } : {}),
      onFailure: (message, details) => logger.warn(message, details),
    }),
  };
}

/** The Secrets Manager rotation function: one step per invocation; a thrown error makes it retry. */
export function makeHandler(deps: RotateDeps) {
  return async (rawEvent: unknown): Promise<StepResult> => {
    const parsed = rotationEvent.safeParse(rawEvent);
    if (!parsed.success) {
      throw new InvalidInputError(
        'not a Secrets Manager rotation event (Step, SecretId, ClientRequestToken)',
      );
    }
    const event = parsed.data;
    deps.logger.appendKeys({ secretId: event.SecretId, step: event.Step, token: event.ClientRequestToken });
    try {
      return await runRotationStep(event, deps);
    } finally {
      deps.logger.resetKeys();
    }
  };
}

export const handler = makeHandler(defaultDeps());
