import { createHash } from 'node:crypto';
import { timeoutsForCleanup } from '../deadline';
import type { Deps } from '../deps';
import { describeError, InvalidInputError } from '../errors';
import type { Password } from '../secrets/password';
import { policyOf } from '../secrets/password-policy-tag';
import { parseAppSecret, serializeSecret } from '../secrets/secret-value';
import { AWSCURRENT } from '../secrets/stages';
import { TAGS } from '../secrets/tags';
import { otherHolder, refuseClaimedUser } from '../users/claims';
import { refuseUnconsentedAdoption } from '../users/consent';
import { ensureUser, removeUser } from '../users/lifecycle';
import { connectAsMaster } from '../users/master-session';
import { CreateLeftUserError } from './errors';
import type { Outcome } from './event';
import { physicalIdOf } from './identity';
import {
  applyRotation,
  outcomeOf,
  overridesOf,
  secretValueOf,
  tagsOf,
  type DatabaseUserKeys,
  type Plan,
} from './plan';

/**
 * What a Create may do with a user that exists already: refuse it, take it over as the
 * resource asked (`AdoptExistingUser`, with the master's `dbauth:allow-adopt` consent), or
 * make this resource's own user a secret again (Update, after its secret was deleted).
 */
export type ExistingUser = 'refuse' | 'adopt' | 'own';

/** Create: a new secret and user, or the same ones again when CloudFormation resends. */
export async function createWithPlan(
  plan: Plan,
  deps: Pick<Deps, DatabaseUserKeys>,
  existingUser: ExistingUser,
  signal: AbortSignal,
): Promise<Outcome> {
  const { store } = deps;
  const { session } = plan.master;
  const { Username: username } = plan.props;
  const existing = await store.find(plan.secretName);
  const userExisted = await session.userExists(username);
  let secret: { arn: string; name: string };
  let password: Password;
  if (existing) {
    if (existing.tags[TAGS.managedBy] !== plan.managedBy) {
      throw new InvalidInputError(
        `a secret named ${plan.secretName} exists and is not managed by this resource`,
      );
    }
    // A resend of a Create that got this far: keep its password.
    const stored = parseAppSecret(existing.arn, await store.getString(existing.arn, { stage: AWSCURRENT }));
    if (stored.username !== username) {
      throw new InvalidInputError(
        `secret ${plan.secretName} holds the login of user ${stored.username}, not ${username}: give the secret another name`,
      );
    }
    password = stored.password;
    secret = existing;
  } else {
    if (userExisted && existingUser === 'refuse') {
      throw new InvalidInputError(
        `user ${username} already exists on ${plan.identity.host}; set AdoptExistingUser: true to manage it (its password will change)`,
      );
    }
    if (userExisted) {
      if (existingUser === 'adopt') refuseUnconsentedAdoption(plan.consent, username);
      await refuseClaimedUser(store, { username, host: plan.master.endpoint.host });
      await session.assertCanManage(username);
    }
    // The policy the secret's tags carry, as every rotation will read it.
    password = await store.randomPassword(policyOf(tagsOf(plan), deps.passwordPolicy));
    signal.throwIfAborted();
    secret = await store.create({
      name: plan.secretName,
      secretString: serializeSecret(secretValueOf(plan, password)),
      description:
        plan.props.Description ?? `Database user ${username} on ${plan.identity.host}, managed by dbauth`,
      kmsKeyId: plan.props.KmsKeyId,
      tags: tagsOf(plan),
      // CreateSecret is idempotent on its token: two racing resends make one secret.
      clientRequestToken: createHash('sha256').update(`${plan.managedBy}|${plan.secretName}`).digest('hex'),
    });
  }
  // A user this Create makes: from here on, a Delete of its id has something to remove.
  if (!userExisted) deps.onMade?.(physicalIdOf(plan.identity));
  try {
    signal.throwIfAborted();
    await ensureUser(session, { username, password, grants: plan.grants });
    await applyRotation(store, plan, secret.arn, undefined, deps);
    // Done after CloudFormation was told FAILED: it will never Delete this, so undo it.
    signal.throwIfAborted();
  } catch (error) {
    return undoCreate(
      plan,
      deps,
      { secretArn: existing ? undefined : secret.arn, user: !userExisted, adopted: userExisted && !existing },
      error,
    );
  }
  return outcomeOf(plan, secret);
}

/**
 * Takes back what a failed Create made, on a fresh connection (the one that failed may be
 * dead), and rethrows. The secret goes only once the user is gone: while the user may exist,
 * its password must not be lost. When this resource's secret stays (it could not go, or an
 * earlier attempt made it), the error names the user's id, so CloudFormation's rollback
 * Delete removes what is left; otherwise nothing is left, and the answer is a failed-create id.
 */
async function undoCreate(
  plan: Plan,
  deps: Pick<Deps, DatabaseUserKeys>,
  made: { secretArn: string | undefined; user: boolean; adopted: boolean },
  failure: unknown,
): Promise<never> {
  // An adopted user's password may have changed already: its secret is the only copy of it.
  if (made.adopted && made.secretArn) {
    throw new InvalidInputError(
      `${describeError(failure)}; user ${plan.props.Username} existed before and its password may have changed: secret ${made.secretArn} keeps it (a retried Create takes it up)`,
    );
  }
  let userGone = !made.user;
  if (made.user) {
    userGone = await dropOnFreshSession(plan, deps).then(
      () => true,
      () => (deps.warn('could not remove user', { username: plan.props.Username }), false),
    );
  }
  const secretKept = made.secretArn === undefined || !userGone;
  if (made.secretArn && userGone) {
    await deps.store
      .delete(made.secretArn, { force: true })
      .catch(() => deps.warn('could not remove secret', { secret: made.secretArn }));
  }
  if (secretKept) {
    throw new CreateLeftUserError(failure, physicalIdOf(plan.identity), plan.identity.host);
  }
  throw failure;
}

/**
 * Drops the user this Create made, on a connection of its own with limits of its own (the
 * request's deadline may have passed), unless another resource holds the user by now (two
 * stacks creating one user at once): then it is not ours to drop.
 */
async function dropOnFreshSession(plan: Plan, deps: Pick<Deps, DatabaseUserKeys>): Promise<void> {
  const holder = await otherHolder(
    deps.store,
    plan.identity,
    (claim) => claim.tags[TAGS.managedBy] === plan.managedBy,
  );
  if (holder) return;
  const master = await connectAsMaster(
    { ...deps, timeouts: timeoutsForCleanup(deps.timeouts) },
    plan.props.MasterSecretArn,
    {
      ...overridesOf(plan.props),
      host: plan.identity.host,
      port: plan.identity.port,
    },
  );
  try {
    await removeUser(master.session, { username: plan.props.Username }, { dropOwnedObjects: true });
  } finally {
    await master.session.close();
  }
}
