import type { Context } from 'aws-lambda';
import { budgetOf, timeoutsWithin, within } from '../lib/deadline';
import { depsFromEnv, forInvocation, logInvocation, type Deps } from '../lib/deps';
import { signalOf } from '../lib/events/incoming';
import { handleSignal, type SignalResult } from '../lib/events/secret-signals';
import { DbauthError, describeError } from '../lib/errors';
import { errorDetails } from '../lib/log';
import type { TaggedSecretKeys } from '../lib/users/tagged-secret';

/** What this handler is built from. */
export type SecretEventsDeps = Pick<Deps, TaggedSecretKeys | 'logger' | 'deadlineMarginMs'>;

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): SecretEventsDeps {
  return depsFromEnv(env);
}

/**
 * Secrets Manager events from EventBridge (CloudTrail API calls and service events, and the
 * native Secret Label Updated). A thrown error makes Lambda retry, then go to the on-failure
 * destination.
 */
export function makeHandler(deps: SecretEventsDeps) {
  return async (rawEvent: unknown, context?: Partial<Context>): Promise<SignalResult> => {
    logInvocation(deps.logger, context);
    try {
      const signal = signalOf(rawEvent);
      deps.logger.appendKeys({
        signal: signal.kind,
        // Only a signal about one secret has these: `in` tells which kind this is.
        ...('secretId' in signal ? { secretId: signal.secretId, cause: signal.cause } : {}),
      });
      const started = Date.now();
      const budgetMs = budgetOf(context, deps.deadlineMarginMs);
      const result = await within(
        (abort) =>
          handleSignal(signal, {
            ...forInvocation(deps, context),
            timeouts: timeoutsWithin(deps.timeouts, budgetMs - (Date.now() - started), abort),
          }),
        budgetMs,
        `handling ${signal.kind}`,
      );
      deps.logger.info('event handled', {
        outcomes: result.outcomes,
        ...('reason' in signal ? { reason: signal.reason } : {}),
      });
      return result;
    } catch (error) {
      deps.logger.error('event failed', errorDetails(error));
      // Only our own errors are worded to be shown; a foreign one may carry values.
      throw error instanceof DbauthError ? error : new DbauthError(describeError(error));
    } finally {
      deps.logger.resetKeys();
    }
  };
}

export const handler = makeHandler(defaultDeps());
