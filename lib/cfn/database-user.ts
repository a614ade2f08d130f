import { createHash } from 'node:crypto';
import type { GrantSet } from '../engines/engine';
import { InvalidInputError } from '../errors';
import { DETAIL_TYPES, type EventPublisher } from '../events/publisher';
import type { PasswordPolicy, SecretDescription, SecretStore } from '../secrets/secret-store';
import { parseAppSecret, serializeSecret, type AppSecretValue } from '../secrets/secret-value';
import { AWSCURRENT } from '../secrets/stages';
import { TAGS } from '../secrets/tags';
import type { Password } from '../secrets/password';
import { privilegesOf } from '../users/grants';
import { changeGrants, ensureUser, removeUser } from '../users/lifecycle';
import { connectAsMaster, type MasterAccess, type MasterDeps } from '../users/master-session';
import type { CustomResourceEvent, Outcome } from './event';
import {
  defaultSecretName,
  isFailedCreateId,
  parsePhysicalId,
  physicalIdOf,
  type UserIdentity,
} from './identity';
import { parseProperties, type DatabaseUserProperties } from './properties';

export interface DatabaseUserDeps extends MasterDeps {
  /** Where `Database User Created/Updated/Dropped` go; publishing never fails a request. */
  publisher: EventPublisher;
  /** The rotation function that `Rotation` attaches; unset where none is deployed. */
  rotationLambdaArn?: string;
  defaultRotationSchedule: string;
  passwordPolicy: PasswordPolicy;
  /** Reports cleanup that failed after an error, which must not hide the error. */
  warn: (message: string, details: Record<string, unknown>) => void;
}

/** Everything a request derives from its properties and the master secret. */
interface Plan {
  props: DatabaseUserProperties;
  master: MasterAccess;
  identity: UserIdentity;
  grants: GrantSet;
  clone?: string;
  secretName: string;
  managedBy: string;
}

const managedByOf = (event: CustomResourceEvent) =>
  `cloudformation:${event.StackId}/${event.LogicalResourceId}`;

function overridesOf(props: DatabaseUserProperties) {
  return {
    ...(props.Engine ? { engine: props.Engine } : {}),
    ...(props.Host ? { host: props.Host } : {}),
    ...(props.Port ? { port: props.Port } : {}),
    ...(props.Database ? { database: props.Database } : {}),
    ...(props.Ssl !== undefined ? { ssl: props.Ssl } : {}),
  };
}

async function planFor(
  event: CustomResourceEvent,
  props: DatabaseUserProperties,
  deps: DatabaseUserDeps,
): Promise<Plan> {
  if (props.Rotation?.Enabled && !deps.rotationLambdaArn) {
    throw new InvalidInputError('Rotation is set, but this dbauth deployment has no rotation function');
  }
  const master = await connectAsMaster(deps, props.MasterSecretArn, overridesOf(props));
  try {
    const { engine, endpoint } = master;
    engine.validateUsername(props.Username);
    props.Schemas.forEach((schema) => engine.validateSchemaName(schema));
    if (props.ReassignOwnedTo) engine.validateUsername(props.ReassignOwnedTo);
    const clone =
      props.Rotation?.Strategy === 'alternating' ? engine.cloneUsername(props.Username) : undefined;
    if ([props.Username, clone].includes(master.masterUsername)) {
      throw new InvalidInputError(`user name ${props.Username} is the master user's: choose another`);
    }
    const identity = {
      family: engine.family,
      host: endpoint.host,
      port: endpoint.port,
      username: props.Username,
    };
    return {
      props,
      master,
      identity,
      grants: { database: endpoint.database, schemas: props.Schemas, privileges: privilegesOf(props.Grants) },
      ...(clone ? { clone } : {}),
      secretName: props.SecretName ?? defaultSecretName(event.StackId, event.LogicalResourceId, identity),
      managedBy: managedByOf(event),
    };
  } catch (error) {
    await master.session.close();
    throw error;
  }
}

function secretValueOf(plan: Plan, password: Password): AppSecretValue {
  const { endpoint, masterArn } = plan.master;
  return {
    engine: endpoint.engine,
    host: endpoint.host,
    port: endpoint.port,
    username: plan.props.Username,
    password,
    dbname: endpoint.database,
    masterarn: masterArn,
    ...(plan.props.Ssl !== undefined ? { ssl: plan.props.Ssl } : {}),
  };
}

function tagsOf(plan: Plan): Record<string, string> {
  const { props } = plan;
  return {
    ...Object.fromEntries(props.Tags.map((tag) => [tag.Key, tag.Value])),
    [TAGS.managedBy]: plan.managedBy,
    [TAGS.strategy]: props.Rotation?.Strategy ?? 'single',
    [TAGS.username]: props.Username,
    [TAGS.engine]: plan.master.endpoint.engine,
    [TAGS.host]: plan.master.endpoint.host,
    [TAGS.database]: plan.master.endpoint.database,
    [TAGS.grants]: typeof props.Grants === 'string' ? props.Grants : props.Grants.join(','),
    [TAGS.schemas]: props.Schemas.join(','),
  };
}

function outcomeOf(plan: Plan, secret: { arn: string; name: string }): Outcome {
  const { endpoint } = plan.master;
  return {
    physicalResourceId: physicalIdOf(plan.identity),
    data: {
      SecretArn: secret.arn,
      SecretName: secret.name,
      Username: plan.props.Username,
      Database: endpoint.database,
      Host: endpoint.host,
      Port: String(endpoint.port),
      Engine: endpoint.engine,
    },
  };
}

async function applyRotation(
  store: SecretStore,
  plan: Plan,
  secretArn: string,
  was: DatabaseUserProperties['Rotation'],
  deps: DatabaseUserDeps,
): Promise<void> {
  const wanted = plan.props.Rotation;
  if (wanted?.Enabled && deps.rotationLambdaArn) {
    if (JSON.stringify(wanted) === JSON.stringify(was)) return;
    await store.attachRotation(secretArn, {
      lambdaArn: deps.rotationLambdaArn,
      ...(wanted.AutomaticallyAfterDays
        ? { automaticallyAfterDays: wanted.AutomaticallyAfterDays }
        : { scheduleExpression: wanted.Schedule ?? deps.defaultRotationSchedule }),
    });
  } else if (was?.Enabled) {
    await store.detachRotation(secretArn);
  }
}

/** Create: a new secret and user, or the same ones again when CloudFormation resends. */
async function createWithPlan(
  plan: Plan,
  deps: DatabaseUserDeps,
  adoptExisting: boolean,
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
    if (userExisted && !adoptExisting) {
      throw new InvalidInputError(
        `user ${username} already exists on ${plan.identity.host}; set AdoptExistingUser: true to manage it (its password will change)`,
      );
    }
    password = await store.randomPassword({
      ...deps.passwordPolicy,
      length: plan.props.PasswordLength,
      excludeCharacters: plan.props.ExcludeCharacters ?? deps.passwordPolicy.excludeCharacters,
    });
    signal.throwIfAborted();
    secret = await store.create({
      name: plan.secretName,
      secretString: serializeSecret(secretValueOf(plan, password)),
      description:
        plan.props.Description ?? `Database user ${username} on ${plan.identity.host}, managed by dbauth`,
      ...(plan.props.KmsKeyId ? { kmsKeyId: plan.props.KmsKeyId } : {}),
      tags: tagsOf(plan),
      // CreateSecret is idempotent on its token: two racing resends make one secret.
      clientRequestToken: createHash('sha256').update(`${plan.managedBy}|${plan.secretName}`).digest('hex'),
    });
  }
  try {
    signal.throwIfAborted();
    await ensureUser(session, { username, password, grants: plan.grants });
    await applyRotation(store, plan, secret.arn, undefined, deps);
    // Done after CloudFormation was told FAILED: it will never Delete this, so undo it.
    signal.throwIfAborted();
  } catch (error) {
    // Undo what this attempt made, so a failed Create leaves nothing behind.
    if (!existing)
      await store
        .delete(secret.arn, { force: true })
        .catch(() => deps.warn('could not remove secret', { secret: secret.arn }));
    if (!userExisted) {
      await removeUser(session, { username }, { dropOwnedObjects: true }).catch(() =>
        deps.warn('could not remove user', { username }),
      );
    }
    throw error;
  }
  return outcomeOf(plan, secret);
}

/** Update: grants by diff in place; a new identity is a new user (CloudFormation deletes the old). */
async function updateWithPlan(
  plan: Plan,
  event: CustomResourceEvent,
  deps: DatabaseUserDeps,
  signal: AbortSignal,
): Promise<Outcome> {
  const { store } = deps;
  const old = parseProperties(event.OldResourceProperties ?? {});
  if (physicalIdOf(plan.identity) !== event.PhysicalResourceId) {
    // A replacement: CloudFormation then deletes the old resource, and with it the secret of
    // the old name. Sharing that name would hand the new user the old user's secret, then lose it.
    if (plan.props.SecretName !== undefined && plan.props.SecretName === old.SecretName) {
      throw new InvalidInputError(
        'a new Username or server replaces the user, and the new user needs a new SecretName (or none, for a generated one)',
      );
    }
    return createWithPlan(plan, deps, false, signal);
  }
  if (plan.props.SecretName !== old.SecretName) {
    throw new InvalidInputError(
      'SecretName cannot change in place: give the resource a new logical id instead',
    );
  }
  const secret = await store.find(plan.secretName);
  // The secret was deleted behind CloudFormation's back: make it again for the same user.
  if (!secret) return createWithPlan(plan, deps, true, signal);
  const current = parseAppSecret(secret.arn, await store.getString(secret.arn, { stage: AWSCURRENT }));
  const from: GrantSet = {
    database: current.dbname ?? plan.grants.database,
    schemas: old.Schemas,
    privileges: privilegesOf(old.Grants),
  };
  signal.throwIfAborted();
  await moveGrants(plan, from, deps);
  await refreshSecret(store, plan, secret, current);
  await applyRotation(store, plan, secret.arn, old.Rotation, deps);
  return outcomeOf(plan, secret);
}

async function moveGrants(plan: Plan, from: GrantSet, deps: DatabaseUserDeps): Promise<void> {
  const user = { username: plan.props.Username, ...(plan.clone ? { clone: plan.clone } : {}) };
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
  // With alternating users the current login may be the clone: its password is the clone's.
  const login = current.username === plan.clone ? plan.clone : plan.props.Username;
  const wanted = { ...current, ...secretValueOf(plan, current.password), username: login };
  if (serializeSecret(wanted).reveal() !== serializeSecret(current).reveal()) {
    await store.putString(secret.arn, serializeSecret(wanted));
  }
  const { Description, KmsKeyId } = plan.props;
  if (Description || KmsKeyId) {
    await store.update(secret.arn, {
      ...(Description ? { description: Description } : {}),
      ...(KmsKeyId ? { kmsKeyId: KmsKeyId } : {}),
    });
  }
  const tags = tagsOf(plan);
  if (Object.entries(tags).some(([key, value]) => secret.tags[key] !== value))
    await store.tag(secret.arn, tags);
}

/** Delete: drop the user and schedule the secret's deletion, or retain both. */
async function remove(
  event: CustomResourceEvent,
  deps: DatabaseUserDeps,
  signal: AbortSignal,
): Promise<Outcome> {
  const physicalResourceId = event.PhysicalResourceId ?? '';
  const identity = parsePhysicalId(physicalResourceId);
  // A Create that failed made nothing (it cleaned up after itself); an id that is not ours
  // names nothing we made.
  if (isFailedCreateId(physicalResourceId) || !identity) return { physicalResourceId };
  const props = parseProperties(event.ResourceProperties);
  if (props.OnDelete === 'Retain') return { physicalResourceId };
  // The id names the server the user was made on: act there, whatever the master says now.
  const master = await connectAsMaster(deps, props.MasterSecretArn, {
    ...overridesOf(props),
    host: identity.host,
    port: identity.port,
  });
  try {
    signal.throwIfAborted();
    const clone =
      props.Rotation?.Strategy === 'alternating' ? master.engine.cloneUsername(identity.username) : undefined;
    await removeUser(
      master.session,
      { username: identity.username, ...(clone ? { clone } : {}) },
      {
        ...(props.ReassignOwnedTo ? { reassignOwnedTo: props.ReassignOwnedTo } : {}),
        dropOwnedObjects: props.DropOwnedObjects,
      },
    );
  } finally {
    await master.session.close();
  }
  const secretName = props.SecretName ?? defaultSecretName(event.StackId, event.LogicalResourceId, identity);
  const secret = await deps.store.find(secretName);
  if (secret && secret.tags[TAGS.managedBy] === managedByOf(event)) {
    await deps.store.delete(secret.arn, { recoveryWindowDays: props.RecoveryWindowInDays });
  }
  await deps.publisher.publish(DETAIL_TYPES.userDropped, {
    secretArn: secret?.arn ?? secretName,
    host: identity.host,
    user: identity.username,
    stackId: event.StackId,
    logicalResourceId: event.LogicalResourceId,
  });
  return { physicalResourceId };
}

/**
 * Carries out one CloudFormation request for a `Custom::DatabaseUser`. Once `signal` aborts
 * (CloudFormation was told FAILED at the deadline), it changes nothing more.
 */
export async function runDatabaseUserRequest(
  event: CustomResourceEvent,
  deps: DatabaseUserDeps,
  signal: AbortSignal = new AbortController().signal,
): Promise<Outcome> {
  if (event.RequestType === 'Delete') return remove(event, deps, signal);
  const props = parseProperties(event.ResourceProperties);
  const plan = await planFor(event, props, deps);
  let outcome: Outcome;
  try {
    outcome =
      event.RequestType === 'Create'
        ? await createWithPlan(plan, deps, props.AdoptExistingUser, signal)
        : await updateWithPlan(plan, event, deps, signal);
  } finally {
    await plan.master.session.close();
  }
  // A new physical id is a new user, whatever the request type.
  const created = event.RequestType === 'Create' || outcome.physicalResourceId !== event.PhysicalResourceId;
  await deps.publisher.publish(created ? DETAIL_TYPES.userCreated : DETAIL_TYPES.userUpdated, {
    secretArn: outcome.data?.SecretArn ?? '',
    engine: plan.master.endpoint.engine,
    host: plan.identity.host,
    database: plan.grants.database,
    user: plan.props.Username,
    strategy: plan.props.Rotation?.Strategy ?? 'single',
    stackId: event.StackId,
    logicalResourceId: event.LogicalResourceId,
  });
  return outcome;
}
