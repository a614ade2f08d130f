import type { Deps } from '../deps';
import { createHash } from 'node:crypto';
import type { GrantSet } from '../engines/engine';
import { describeError, InvalidInputError } from '../errors';
import type { Password } from '../secrets/password';
import { policyOf } from '../secrets/password-policy-tag';
import type { SecretStore } from '../secrets/secret-store';
import type { SecretDescription } from '../secrets/secret-description';
import { parseAppSecret, serializeSecret, type AppSecretValue } from '../secrets/secret-value';
import { AWSCURRENT } from '../secrets/stages';
import { TAGS } from '../secrets/tags';
import { privilegesOf } from '../users/grants';
import { otherHolder, refuseClaimedUser } from '../users/claims';
import { timeoutsForCleanup } from '../deadline';
import { changeGrants, ensureUser, removeUser } from '../users/lifecycle';
import { refuseUnconsentedAdoption } from '../users/consent';
import { connectAsMaster } from '../users/master-session';
import type { CustomResourceEvent, Outcome } from './event';
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
import { CreateLeftUserError } from './errors';
import { parseProperties } from './properties';

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

/** Update: grants by diff in place; a new identity is a new user (CloudFormation deletes the old). */
export async function updateWithPlan(
  plan: Plan,
  event: CustomResourceEvent,
  deps: Pick<Deps, DatabaseUserKeys>,
  signal: AbortSignal,
): Promise<Outcome> {
  const { store } = deps;
  if (!event.OldResourceProperties) {
    throw new InvalidInputError(
      'an Update request without OldResourceProperties: dbauth cannot tell what changed',
    );
  }
  const old = parseProperties(event.OldResourceProperties, 'OldResourceProperties');
  if (physicalIdOf(plan.identity) !== event.PhysicalResourceId) {
    // A replacement: CloudFormation then deletes the old resource, and with it the secret of
    // the old name. Sharing that name would hand the new user the old user's secret, then lose it.
    if (plan.props.SecretName !== undefined && plan.props.SecretName === old.SecretName) {
      throw new InvalidInputError(
        'a new Username or server replaces the user, and the new user needs a new SecretName (or none, for a generated one)',
      );
    }
    return createWithPlan(plan, deps, 'refuse', signal);
  }
  if (plan.props.SecretName !== old.SecretName) {
    throw new InvalidInputError(
      'SecretName cannot change in place: give the resource a new logical id instead',
    );
  }
  const secret = await store.find(plan.secretName);
  // The secret was deleted behind CloudFormation's back: make it again for the same user.
  if (!secret) return createWithPlan(plan, deps, 'own', signal);
  const current = parseAppSecret(secret.arn, await store.getString(secret.arn, { stage: AWSCURRENT }));
  const from: GrantSet = {
    database: current.dbname ?? plan.grants.database,
    schemas: old.Schemas,
    privileges: privilegesOf(old.Grants),
  };
  // Past the deadline CloudFormation was told FAILED: change nothing more.
  signal.throwIfAborted();
  await moveGrants(plan, from, deps);
  signal.throwIfAborted();
  await refreshSecret(store, plan, secret, current);
  signal.throwIfAborted();
  await applyRotation(store, plan, secret.arn, old.Rotation, deps);
  return outcomeOf(plan, secret);
}

async function moveGrants(plan: Plan, from: GrantSet, deps: Pick<Deps, DatabaseUserKeys>): Promise<void> {
  const user = { username: plan.props.Username, clone: plan.clone };
  if (from.database === plan.grants.database)
    return changeGrants(plan.master.session, user, from, plan.grants);
  // Another database: revoke there (PostgreSQL grants live per database), grant here.
  const oldSide = await connectAsMaster(deps, plan.props.MasterSecretArn, {
    ...overridesOf(plan.props),
    host: plan.identity.host,
    port: plan.identity.port,
    database: from.database,
  });
  try {
    await changeGrants(oldSide.session, user, from, { ...from, schemas: [], privileges: [] });
    await oldSide.session.revoke(
      user.username,
      { ...from, schemas: [], privileges: [] },
      { schemaAccess: false, databaseAccess: true },
    );
  } finally {
    await oldSide.session.close();
  }
  await changeGrants(plan.master.session, user, { ...plan.grants, schemas: [], privileges: [] }, plan.grants);
}

/** Keeps the secret's JSON, description, key and tags in line with the properties. */
async function refreshSecret(
  store: SecretStore,
  plan: Plan,
  secret: SecretDescription,
  current: AppSecretValue,
): Promise<void> {
  // After a rotation with alternating users the current login may be the clone (its password is the clone's).
  const login = current.username === plan.clone ? plan.clone : plan.props.Username;
  const wanted = { ...current, ...secretValueOf(plan, current.password), username: login };
  if (serializeSecret(wanted).reveal() !== serializeSecret(current).reveal()) {
    await store.putString(secret.arn, serializeSecret(wanted));
  }
  const { Description, KmsKeyId } = plan.props;
  if (Description || KmsKeyId) {
    await store.update(secret.arn, { description: Description, kmsKeyId: KmsKeyId });
  }
  const tags = tagsOf(plan);
  if (Object.entries(tags).some(([key, value]) => secret.tags[key] !== value))
    await store.tag(secret.arn, tags);
}
