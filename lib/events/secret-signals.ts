import type { Deps } from '../deps';
import { describeError } from '../errors';
import { whereaboutsOf } from './detail';
import { DETAIL_TYPES } from './publisher';
import type { SecretSignal } from './incoming';
import { AWSCURRENT } from '../secrets/stages';
import { TAGS } from '../secrets/tags';
import { parsePartialSecret } from '../secrets/secret-value';
import { reconcileTaggedSecret, type ReconcileOutcome, type TaggedSecretKeys } from '../users/tagged-secret';

/** At most this many dependants are re-synced for one master rotation; the rest wait for their own events. */
export const MAX_DEPENDANTS = 50;

export interface SignalResult {
  kind: SecretSignal['kind'];
  outcomes: Record<string, ReconcileOutcome | 'published' | 'failed'>;
}

/** What the event-driven path does for one incoming event. */
export async function handleSignal(
  signal: SecretSignal,
  deps: Pick<Deps, TaggedSecretKeys>,
): Promise<SignalResult> {
  switch (signal.kind) {
    case 'ignore':
      return { kind: signal.kind, outcomes: {} };
    case 'reconcile':
      return {
        kind: signal.kind,
        outcomes: { [signal.secretId]: await reconcileTaggedSecret(signal.secretId, deps) },
      };
    case 'rotation-failed':
      return {
        kind: signal.kind,
        outcomes: { [signal.secretId]: await publishRotationFailure(signal.secretId, signal.cause, deps) },
      };
    case 'current-moved':
      return { kind: signal.kind, outcomes: await resyncAfterRotation(signal.secretId, deps) };
  }
}

// Secrets Manager's own report of a failed rotation, for alerting: where, not why in detail
// (the rotation function logged and published that itself). Only for secrets dbauth manages or
// rotates: another team's rotation is theirs to alert on, and describing it would take reading
// its value.
async function publishRotationFailure(
  secretId: string,
  cause: string,
  deps: Pick<Deps, TaggedSecretKeys>,
): Promise<'published' | 'not managed' | 'gone'> {
  const secret = await deps.store.find(secretId);
  if (!secret) return 'gone';
  const rotatedByUs =
    deps.rotationLambdaArn !== undefined && secret.rotationLambdaArn === deps.rotationLambdaArn;
  if (secret.tags[TAGS.managedBy] === undefined && !rotatedByUs) return 'not managed';
  const readCurrent = async () =>
    parsePartialSecret(secret.arn, await deps.store.getString(secret.arn, { stage: AWSCURRENT }));
  await deps.publisher.publish(DETAIL_TYPES.rotationFailed, {
    secretArn: secret.arn,
    ...(await whereaboutsOf(secret, readCurrent)),
    strategy: secret.tags[TAGS.strategy] || undefined,
    reason: `Secrets Manager reported ${cause}`,
  });
  return 'published';
}

/**
 * AWSCURRENT moved on a secret: re-check it if it is managed by tags, and re-sync the users of
 * the secrets that name it as their master (their users, passwords and grants are checked
 * with the master's new credentials).
 */
async function resyncAfterRotation(
  secretId: string,
  deps: Pick<Deps, TaggedSecretKeys>,
): Promise<SignalResult['outcomes']> {
  const secret = await deps.store.find(secretId);
  if (!secret) return { [secretId]: 'gone' };
  const outcomes: SignalResult['outcomes'] = {};
  if (secret.tags[TAGS.master]) outcomes[secret.arn] = await reconcileTaggedSecret(secret.arn, deps);
  const dependants = await deps.store.findTagged(TAGS.master, secret.arn, MAX_DEPENDANTS + 1);
  if (dependants.length > MAX_DEPENDANTS) {
    // The rest are reconciled at their own next event (a tag change, a rotation); say so.
    deps.warn('more dependants than one event re-syncs', { secret: secret.arn, resynced: MAX_DEPENDANTS });
  }
  for (const dependant of dependants.slice(0, MAX_DEPENDANTS)) {
    // One broken dependant must not hold the others back (nor send the event to the failure queue).
    outcomes[dependant] = await reconcileTaggedSecret(dependant, deps).catch((error: unknown) => {
      deps.warn('dependant not re-synced', { secret: dependant, reason: describeError(error) });
      return 'failed' as const;
    });
  }
  return outcomes;
}
