import type { Context } from 'aws-lambda';
import { timeoutsWithin } from '../lib/deadline';
import { depsFromEnv, forInvocation, logInvocation, type Deps } from '../lib/deps';
import { respondToCloudFormation, type Progress } from '../lib/cfn/response';
import { runDatabaseUserRequest, type DatabaseUserKeys } from '../lib/cfn/database-user';
import {
  answerableRequest,
  customResourceEvent,
  malformedFields,
  type CustomResourceResponse,
} from '../lib/cfn/event';
import { InvalidInputError } from '../lib/errors';

/** What this handler is built from. */
export type CustomResourceDeps = Pick<Deps, DatabaseUserKeys | 'logger' | 'metrics' | 'responseMarginMs'>;

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): CustomResourceDeps {
  return depsFromEnv(env);
}

/** `Custom::DatabaseUser`: validates the request, does the work, always answers CloudFormation. */
export function makeHandler(deps: CustomResourceDeps) {
  return async (
    rawEvent: unknown,
    context: Pick<Context, 'getRemainingTimeInMillis'> & Partial<Context>,
  ): Promise<CustomResourceResponse> => {
    logInvocation(deps.logger, context);
    const parsed = customResourceEvent.safeParse(rawEvent);
    const event = parsed.success ? parsed.data : answerableRequest(rawEvent);
    deps.logger.appendKeys({
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      stackId: event.StackId,
      cfnRequestId: event.RequestId,
    });
    const remainingMs = context.getRemainingTimeInMillis();
    // Database timeouts end with the time the work has, and the deadline closes its sessions.
    const bounded = (signal: AbortSignal, progress: Progress) => ({
      ...forInvocation(deps, context),
      timeouts: timeoutsWithin(deps.timeouts, remainingMs - deps.responseMarginMs, signal),
      onMade: progress.made,
      onEngine: progress.engine,
    });
    try {
      return await respondToCloudFormation(
        event,
        remainingMs,
        (signal, progress) =>
          parsed.success
            ? runDatabaseUserRequest(event, bounded(signal, progress), signal)
            : Promise.reject(
                new InvalidInputError(
                  `malformed CloudFormation request (${malformedFields(parsed.error).join(', ')})`,
                ),
              ),
        {
          logger: deps.logger,
          marginMs: deps.responseMarginMs,
          metrics: deps.metrics,
        },
      );
    } finally {
      // Printed now, failed or not: Lambda may freeze the container once the invocation ends.
      deps.metrics.flush();
      deps.logger.resetKeys();
    }
  };
}

export const handler = makeHandler(defaultDeps());
