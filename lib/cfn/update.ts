import type { Deps } from '../deps';
import type { GrantSet } from '../engines/engine';
import { InvalidInputError } from '../errors';
import type { SecretDescription } from '../secrets/secret-description';
import type { SecretStore } from '../secrets/secret-store';
import { parseAppSecret, serializeSecret, type AppSecretValue } from '../secrets/secret-value';
import { AWSCURRENT } from '../secrets/stages';
import { privilegesOf } from '../users/grants';
import { changeGrants } from '../users/lifecycle';
import { connectAsMaster } from '../users/master-session';
import { createWithPlan } from './create';
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
import { parseProperties } from './properties';

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
