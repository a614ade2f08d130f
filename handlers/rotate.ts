import type { Context } from 'aws-lambda';
import { budgetOf } from '../lib/deadline';
import { depsFromEnv, forInvocation, logInvocation, type Deps } from '../lib/deps';
import { InvalidInputError } from '../lib/errors';
import type { RotationKeys } from '../lib/rotation/context';
import { rotationEvent } from '../lib/rotation/event';
import { runRotationStep, type StepResult } from '../lib/rotation/protocol';
import { VersionCache } from '../lib/secrets/version-cache';

/** What this handler is built from. */
export type RotateDeps = Pick<Deps, RotationKeys | 'logger' | 'metrics' | 'deadlineMarginMs'>;

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): RotateDeps {
  // One cache per container: the four steps of a rotation usually reach the same warm function.
  return { ...depsFromEnv(env), versionCache: new VersionCache() };
}

/** The Secrets Manager rotation function: one step per invocation; a thrown error makes it retry. */
export function makeHandler(deps: RotateDeps) {
  return async (rawEvent: unknown, context?: Partial<Context>): Promise<StepResult> => {
    logInvocation(deps.logger, context);
    const parsed = rotationEvent.safeParse(rawEvent);
    if (!parsed.success) {
      throw new InvalidInputError(
        'not a Secrets Manager rotation event (Step, SecretId, ClientRequestToken)',
      );
    }
    const event = parsed.data;
    deps.logger.appendKeys({ secretId: event.SecretId, step: event.Step, token: event.ClientRequestToken });
    try {
      return await runRotationStep(
        event,
        forInvocation(deps, context),
        budgetOf(context, deps.deadlineMarginMs),
      );
    } finally {
      // Printed now, failed or not: Lambda may freeze the container once the invocation ends.
      deps.metrics.flush();
      deps.logger.resetKeys();
    }
  };
}

export const handler = makeHandler(defaultDeps());
