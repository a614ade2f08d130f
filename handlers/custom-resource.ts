import type { Logger } from '@aws-lambda-powertools/logger';
import { makeEventBridgeClient, makeRdsClient, makeSecretsManagerClient } from '../lib/aws/clients';
import { answerCloudFormation } from '../lib/cfn/answer';
import { runDatabaseUserRequest, type DatabaseUserDeps } from '../lib/cfn/database-user';
import { customResourceEvent, type CustomResourceResponse } from '../lib/cfn/event';
import { settingsFromEnv } from '../lib/config';
import { InvalidInputError } from '../lib/errors';
import { EventBridgePublisher } from '../lib/events/publisher';
import { makeLogger } from '../lib/log';
import { SecretStore } from '../lib/secrets/secret-store';

export interface CustomResourceDeps extends DatabaseUserDeps {
  logger: Logger;
  responseMarginMs: number;
}

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): CustomResourceDeps {
  const settings = settingsFromEnv(env);
  const logger = makeLogger();
  return {
    ...settings,
    logger,
    store: new SecretStore(makeSecretsManagerClient()),
    rds: makeRdsClient(),
    warn: (message, details) => logger.warn(message, details),
    publisher: new EventBridgePublisher(makeEventBridgeClient(), {
      ...(settings.eventBusName ? { busName: settings.eventBusName } : {}),
      onFailure: (message, details) => logger.warn(message, details),
    }),
  };
}

/** `Custom::DatabaseUser`: validates the request, does the work, always answers CloudFormation. */
export function makeHandler(deps: CustomResourceDeps) {
  return async (
    rawEvent: unknown,
    context: { getRemainingTimeInMillis(): number; awsRequestId?: string },
  ): Promise<CustomResourceResponse> => {
    const parsed = customResourceEvent.safeParse(rawEvent);
    // Without a ResponseURL there is no one to answer: fail the invocation instead.
    if (!parsed.success) throw new InvalidInputError('not a CloudFormation custom resource request');
    const event = parsed.data;
    deps.logger.appendKeys({
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      stackId: event.StackId,
      cfnRequestId: event.RequestId,
    });
    try {
      return await answerCloudFormation(
        event,
        context.getRemainingTimeInMillis(),
        (signal) => runDatabaseUserRequest(event, deps, signal),
        {
          logger: deps.logger,
          marginMs: deps.responseMarginMs,
        },
      );
    } finally {
      deps.logger.resetKeys();
    }
  };
}

export const handler = makeHandler(defaultDeps());
