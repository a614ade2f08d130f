import type { Deps } from '../deps';
import { timeoutsWithin, within } from '../deadline';
import { DbauthError, describeError } from '../errors';
import { errorDetails } from '../log';
import { engineDimension, type RotationStepDimensions } from '../metrics';
import { whereaboutsOf } from '../events/detail';
import { DETAIL_TYPES, type EventDetail } from '../events/publisher';
import { SecretsManagerCallError } from '../secrets/errors';
import { policyOf } from '../secrets/password-policy-tag';
import type { SecretDescription } from '../secrets/secret-description';
import { serializeSecret } from '../secrets/secret-value';
import { AWSCURRENT, AWSPENDING } from '../secrets/stages';
import { TAGS } from '../secrets/tags';
import { alternatingUsers } from './alternating-users';
import { RotationContext, strategyOf, type RotationKeys } from './context';
import {
  NotPendingError,
  RotationError,
  RotationInProgressError,
  RotationNotEnabledError,
  UnknownStepError,
  UnknownVersionError,
} from './errors';
import { rotationInFlight } from './in-flight';
import { isRotationStep, type RotationEvent, type RotationStep } from './event';
import { singleUser } from './single-user';
import type { RotationStrategy } from './strategy';

export type StepDecision = { action: 'run' } | { action: 'skip'; reason: string };

/**
 * The preamble Secrets Manager expects of every step, decided from DescribeSecret alone.
 * Secrets Manager stages the token as AWSPENDING before createSecret; a driver that cannot
 * (moto, `npm run rotate`) lets createSecret make the version, so createSecret accepts a token
 * it does not know yet.
 */
export function decideStep(step: RotationStep, secret: SecretDescription, token: string): StepDecision {
  if (!secret.rotationEnabled) throw new RotationNotEnabledError(secret.arn);
  const stages = secret.versions[token];
  if (!stages) {
    if (step === 'createSecret') return { action: 'run' };
    throw new UnknownVersionError(secret.arn, token);
  }
  if (stages.includes(AWSCURRENT)) return { action: 'skip', reason: 'version is already AWSCURRENT' };
  if (!stages.includes(AWSPENDING)) throw new NotPendingError(secret.arn, token);
  return { action: 'run' };
}

const STRATEGIES: Record<RotationContext['strategy'], RotationStrategy> = {
  single: singleUser,
  alternating: alternatingUsers,
};

/**
 * Puts the pending version, once. On AWS, Secrets Manager has staged the token (with no value)
 * before this step, and PutSecretValue refuses another value for a version that has one: so
 * the version is put first, and a refusal means an earlier attempt put it — one call fewer than
 * reading the empty version first. (moto lets a put replace an AWSPENDING version: there a
 * retry on a cold function replaces the pending password, which no step has used yet.)
 */
async function createSecret(context: RotationContext): Promise<void> {
  if (context.tokenIsStaged && context.isKnown(context.token)) return;
  const inFlight = await rotationInFlight(context.deps.store, context.secret, context.token);
  if (inFlight) throw new RotationInProgressError(context.arn, inFlight);
  const current = await context.current();
  const username = await STRATEGIES[context.strategy].pendingUsername(context, current);
  const policy = policyOf(context.secret.tags, context.deps.passwordPolicy);
  const password = await context.deps.store.randomPassword(policy);
  const value = serializeSecret({ ...current, username, password });
  try {
    await context.deps.store.putString(context.arn, value, {
      token: context.token,
      stages: [AWSPENDING],
      rotationToken: context.rotationToken,
    });
  } catch (error) {
    if (
      context.tokenIsStaged &&
      error instanceof SecretsManagerCallError &&
      error.errorName === 'ResourceExistsException'
    )
      return;
    throw error;
  }
  context.remember(context.token, value);
}

async function testSecret(context: RotationContext): Promise<void> {
  const pending = await context.pendingOrFail();
  const target = await context.targetOf(pending);
  const session = await context.tryLogin(target, pending);
  if (!session) throw new RotationError(`the pending password of secret ${context.arn} does not log in`);
  try {
    await session.proveAccess(context.grantsOf(target));
  } finally {
    await session.close();
  }
}

async function finishSecret(context: RotationContext): Promise<void> {
  const [currentVersion] = Object.entries(context.secret.versions).find(([, stages]) =>
    stages.includes(AWSCURRENT),
  ) ?? [undefined];
  await context.deps.store.moveStage(context.arn, AWSCURRENT, {
    to: context.token,
    from: currentVersion,
  });
}

const STEPS: Record<RotationStep, (context: RotationContext) => Promise<void>> = {
  createSecret,
  setSecret: (context) => STRATEGIES[context.strategy].setSecret(context),
  testSecret,
  finishSecret,
};

export interface StepResult {
  step: RotationStep;
  secretArn: string;
  outcome: 'done' | 'skipped';
  reason?: string;
}

/**
 * Where the secret's user is, for events: never a password. dbauth's own secrets say it in
 * their tags (DescribeSecret, read anyway); others cost one read of the current version.
 */
async function detailOf(context: RotationContext | undefined, secretId: string): Promise<EventDetail> {
  if (!context) return { secretArn: secretId };
  return {
    secretArn: context.arn,
    strategy: context.strategy,
    ...(await whereaboutsOf(context.secret, () => context.current())),
  };
}

/**
 * Runs one step of the Secrets Manager rotation protocol. Publishes `Secret Rotated` when
 * finishSecret moved AWSCURRENT and `Rotation Failed` when any step fails, then rethrows so
 * that Secrets Manager retries. Counts and times every step by its outcome.
 */
export async function runRotationStep(
  event: RotationEvent,
  deps: Pick<Deps, RotationKeys | 'logger' | 'metrics'>,
  /** The time the step may take; what is left of the invocation is for reporting a failure. */
  budgetMs = Number.POSITIVE_INFINITY,
): Promise<StepResult> {
  let context: RotationContext | undefined;
  let described: SecretDescription | undefined;
  const started = performance.now();
  // By what the step did and how its secret is rotated, never by which secret: few series.
  const count = (outcome: RotationStepDimensions['outcome']) =>
    deps.metrics.rotationStep(
      {
        outcome,
        step: isRotationStep(event.Step) ? event.Step : 'unknown',
        strategy: described ? strategyOf(described) : 'unknown',
        engine: engineDimension(described?.tags[TAGS.engine]),
      },
      performance.now() - started,
    );
  try {
    const step = event.Step;
    if (!isRotationStep(step)) throw new UnknownStepError(step);
    const result = await within(
      async (signal) => {
        const bounded = {
          ...deps,
          timeouts: timeoutsWithin(deps.timeouts, budgetMs - (performance.now() - started), signal),
        };
        const secret = await deps.store.describe(event.SecretId);
        described = secret;
        const decision = decideStep(step, secret, event.ClientRequestToken);
        if (decision.action === 'skip') {
          deps.logger.info('step skipped', { step, reason: decision.reason });
          return { step, secretArn: secret.arn, outcome: 'skipped' as const, reason: decision.reason };
        }
        context = new RotationContext(bounded, secret, event.ClientRequestToken, event.RotationToken);
        await STEPS[step](context);
        signal.throwIfAborted();
        deps.logger.info('step done', { step, strategy: context.strategy });
        if (step === 'finishSecret')
          await deps.publisher.publish(DETAIL_TYPES.secretRotated, await detailOf(context, secret.arn));
        return { step, secretArn: secret.arn, outcome: 'done' as const };
      },
      budgetMs,
      `rotation step ${step}`,
    );
    count(result.outcome);
    return result;
  } catch (error) {
    count('failed');
    const reason = describeError(error);
    deps.logger.error('step failed', { step: event.Step.slice(0, 40), ...errorDetails(error) });
    // Reporting must fit in the time the invocation kept for it: what it cannot learn in time, it leaves out.
    const detail = await within(
      () => detailOf(context, event.SecretId),
      REPORT_MS,
      'reading the event detail',
    ).catch(() => ({ secretArn: context?.arn ?? event.SecretId }));
    await within(
      () =>
        deps.publisher.publish(DETAIL_TYPES.rotationFailed, {
          ...detail,
          step: event.Step.slice(0, 40),
          reason,
        }),
      REPORT_MS,
      'publishing Rotation Failed',
    ).catch(() => deps.logger.warn('Rotation Failed not published in time', {}));
    // Only our own errors are worded to be shown; a foreign one may carry values.
    throw error instanceof DbauthError ? error : new RotationError(reason);
  }
}

/** Each of the two reports after a failure may take this long (the deadline margin holds both). */
const REPORT_MS = 1200;
