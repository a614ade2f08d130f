import { createHash } from 'node:crypto';
import type { Deps } from '../deps';
import type { GrantSet } from '../engines/engine';
import { InvalidInputError } from '../errors';
import { DETAIL_TYPES } from '../events/publisher';
import { SecretNotFoundError, SecretsManagerCallError } from '../secrets/errors';
import type { Password } from '../secrets/password';
import { policyOf } from '../secrets/password-policy-tag';
import type { SecretDescription } from '../secrets/secret-description';
import {
  parsePartialSecret,
  serializeSecret,
  type AppSecretValue,
  type PartialSecretValue,
} from '../secrets/secret-value';
import { AWSCURRENT, AWSPENDING } from '../secrets/stages';
import { MANAGED_BY_STACK, MANAGED_BY_TAGS, TAGS } from '../secrets/tags';
import { refuseClaimedUser } from './claims';
import {
  consentForSecret,
  refuseSecretOutsidePrefix,
  refuseStrongerGrants,
  refuseUnconsentedAdoption,
} from './consent';
import { tagList } from './grants';
import { changeGrants } from './lifecycle';
import { connectAsMaster, describeMaster, type MasterAccess, type MasterKeys } from './master-session';
import { appliedTag, parseAppliedTag, tagConfigOf, type TagConfig } from './tag-config';

/** What bringing a tagged secret in line uses of `Deps` (its name must be under `secretNamePrefix`). */
export type TaggedSecretKeys =
  | MasterKeys
  | 'secretNamePrefix'
  | 'rotationLambdaArn'
  | 'defaultRotationSchedule'
  | 'passwordPolicy'
  | 'publisher'
  | 'warn';

export type ReconcileOutcome =
  'gone' | 'not managed' | 'released' | 'created' | 'adopted' | 'updated' | 'unchanged';

/**
 * Brings a secret tagged `dbauth:master` and its database user in line with its tags: the
 * user exists with the secret's password and the tagged grants, the secret holds the full
 * JSON, and rotation is attached as tagged. Decided from the secret's state now, so running
 * it again, or for a stale event, changes nothing. A secret whose `dbauth:master` tag went is
 * released: rotation detached, the user left alone.
 */
export async function reconcileTaggedSecret(
  secretId: string,
  deps: Pick<Deps, TaggedSecretKeys>,
): Promise<ReconcileOutcome> {
  const secret = await deps.store.find(secretId);
  if (!secret) return 'gone';
  const config = tagConfigOf(secret.tags, deps.defaultRotationSchedule);
  if (!config) return release(secret, deps);
  // A stack's secret stays the stack's: its Delete would no longer find it, and its Update would fight the tags.
  if (secret.tags[TAGS.managedBy]?.startsWith(MANAGED_BY_STACK)) {
    throw new InvalidInputError(
      `secret ${secret.arn} belongs to a CloudFormation stack's Custom::DatabaseUser; remove its ${TAGS.master} tag`,
    );
  }
  // Before the secret's value is read or anything written: dbauth's prefix, then the master's consent.
  refuseSecretOutsidePrefix(secret.name, deps.secretNamePrefix, 'secret');
  const described = await describeMaster(deps, config.masterArn);
  const consent = consentForSecret(described, secret.name);
  refuseStrongerGrants(consent, config.privileges);
  const stored = await readCurrent(secret, deps);
  const master = await connectAsMaster(
    deps,
    described.arn,
    { database: (config.database ?? stored.dbname) || undefined },
    { described },
  );
  try {
    const user = checkedUser(secret, config, stored, master);
    // Taking over a user that exists: not one that another secret manages (checked before any change).
    if (secret.tags[TAGS.managedBy] !== MANAGED_BY_TAGS && (await master.session.userExists(user.base))) {
      refuseUnconsentedAdoption(consent, user.base);
      await refuseClaimedUser(deps.store, {
        username: user.base,
        host: master.endpoint.host,
        secretArn: secret.arn,
      });
      await master.session.assertCanManage(user.base);
    }
    const full = await ensureFullValue(secret, stored, user.login, master, deps);
    const outcome = await ensureUser(secret, user, full, master);
    const grantsChanged = await ensureGrants(secret, config, user, master, outcome === 'created');
    // Tags first: what rotation reads (strategy, grants, managed-by) is there before it can run.
    await ensureTags(secret, config, user.base, full, deps);
    await ensureRotation(secret, config, deps);
    const result = outcome === 'unchanged' && grantsChanged ? 'updated' : outcome;
    if (result !== 'unchanged') {
      await deps.publisher.publish(
        result === 'created' ? DETAIL_TYPES.userCreated : DETAIL_TYPES.userUpdated,
        {
          secretArn: secret.arn,
          engine: full.engine,
          host: full.host,
          database: full.dbname || undefined,
          user: user.base,
          strategy: config.strategy,
          change: result,
        },
      );
    }
    return result;
  } finally {
    await master.session.close();
  }
}

async function readCurrent(
  secret: SecretDescription,
  deps: Pick<Deps, TaggedSecretKeys>,
): Promise<PartialSecretValue> {
  const hasCurrent = Object.values(secret.versions).some((stages) => stages.includes(AWSCURRENT));
  if (!hasCurrent) return {};
  try {
    return parsePartialSecret(secret.arn, await deps.store.getString(secret.arn, { stage: AWSCURRENT }));
  } catch (error) {
    if (error instanceof SecretNotFoundError) return {};
    throw error;
  }
}

/** The user's first login (`base`) and the login the secret holds now (the clone, after a turn). */
interface UserNames {
  base: string;
  login: string;
  clone?: string;
}

function checkedUser(
  secret: SecretDescription,
  config: TagConfig,
  stored: PartialSecretValue,
  master: MasterAccess,
): UserNames {
  const login = stored.username ?? config.username;
  if (!login) {
    throw new InvalidInputError(
      `secret ${secret.arn} names no user: put {"username": "..."} in it, or tag it ${TAGS.username}`,
    );
  }
  const base = config.username ?? login;
  const { engine, endpoint } = master;
  engine.validateUsername(base);
  engine.validateUsername(login);
  config.schemas.forEach((schema) => engine.validateSchemaName(schema));
  const clone = config.strategy === 'alternating' ? engine.cloneUsername(base) : undefined;
  if (login !== base && login !== clone)
    throw new InvalidInputError(`secret ${secret.arn} holds user ${login}, but is tagged for ${base}`);
  if ([base, login].includes(master.masterUsername))
    throw new InvalidInputError(`secret ${secret.arn} names the master user; dbauth will not manage it`);
  // A secret that names a server must name its master's: the master acts there only.
  if (
    stored.host &&
    (stored.host.toLowerCase() !== endpoint.host.toLowerCase() || stored.port !== endpoint.port)
  )
    throw new InvalidInputError(`secret ${secret.arn} names another database server than its master secret`);
  return { base, login, clone };
}

/**
 * Fills in what the secret lacks (the endpoint from the master, a new password). The version
 * token is derived from the version it replaces, so two racing events put one value: the
 * loser's put fails, and both then read back the winner's.
 */
async function ensureFullValue(
  secret: SecretDescription,
  stored: PartialSecretValue,
  login: string,
  master: MasterAccess,
  deps: Pick<Deps, TaggedSecretKeys>,
): Promise<AppSecretValue> {
  const { endpoint, masterArn } = master;
  const wanted = {
    ...stored,
    engine: stored.engine ?? endpoint.engine,
    host: endpoint.host,
    port: endpoint.port,
    username: login,
    dbname: endpoint.database,
    masterarn: masterArn,
  };
  if (
    stored.password &&
    Object.entries(wanted).every(([key, value]) => stored[key as keyof PartialSecretValue] === value)
  )
    return { ...wanted, password: stored.password };
  const password: Password =
    stored.password ?? (await deps.store.randomPassword(policyOf(secret.tags, deps.passwordPolicy)));
  const replaced =
    Object.entries(secret.versions).find(([, stages]) => stages.includes(AWSCURRENT))?.[0] ?? 'none';
  const token = createHash('sha256').update(`${secret.arn}|fill|${replaced}`).digest('hex').slice(0, 64);
  try {
    await deps.store.putString(secret.arn, serializeSecret({ ...wanted, password }), { token });
  } catch (error) {
    // The same token with another value: a racing event filled the secret first. Use its value.
    if (!(error instanceof SecretsManagerCallError && error.errorName === 'ResourceExistsException'))
      throw error;
  }
  const now = parsePartialSecret(secret.arn, await deps.store.getString(secret.arn, { versionId: token }));
  if (!now.password) throw new InvalidInputError(`secret ${secret.arn} has no password after it was filled`);
  return { ...wanted, password: now.password };
}

async function ensureUser(
  secret: SecretDescription,
  user: UserNames,
  full: AppSecretValue,
  master: MasterAccess,
): Promise<ReconcileOutcome> {
  const { session } = master;
  if (!(await session.userExists(user.login))) {
    await session.createUser(user.login, full.password);
    if (user.login !== user.base) await session.syncClone(user.base, user.login);
    return 'created';
  }
  // Once dbauth manages the secret its password is the rotation's business: checking it here
  // could race a rotation and put an old password back.
  if (secret.tags[TAGS.managedBy] === MANAGED_BY_TAGS) return 'unchanged';
  // A rotation in progress owns the password until finishSecret: leave it be.
  const rotating = Object.values(secret.versions).some(
    (stages) => stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT),
  );
  if (rotating) return 'unchanged';
  // The tag asked for this user: it is taken over as if dbauth had made it (the secret's
  // password, and on MySQL REQUIRE SSL when dbauth itself connects over TLS).
  await session.createUser(user.login, full.password);
  return 'adopted';
}

async function ensureGrants(
  secret: SecretDescription,
  config: TagConfig,
  user: UserNames,
  master: MasterAccess,
  newUser: boolean,
): Promise<boolean> {
  if (!newUser && secret.tags[TAGS.applied] === appliedTag(config)) return false;
  const database = master.endpoint.database;
  // A user made just now (first time, or again after it was dropped) has no grants yet.
  const applied = newUser ? { privileges: [], schemas: [] } : parseAppliedTag(secret.tags[TAGS.applied]);
  const from: GrantSet = { database, ...applied };
  const to: GrantSet = { database, privileges: config.privileges, schemas: config.schemas };
  // A first grant also brings CONNECT: changeGrants from nothing grants everything wanted.
  if (applied.schemas.length === 0) await master.session.grant(user.base, to);
  else await changeGrants(master.session, { username: user.base, clone: user.clone }, from, to);
  return true;
}

async function ensureRotation(
  secret: SecretDescription,
  config: TagConfig,
  deps: Pick<Deps, TaggedSecretKeys>,
): Promise<void> {
  const ours = deps.rotationLambdaArn;
  if (!config.rotation) {
    if (secret.rotationEnabled && secret.rotationLambdaArn === ours)
      await deps.store.detachRotation(secret.arn);
    return;
  }
  if (!ours) {
    deps.warn('rotation is tagged, but this deployment has no rotation function', { secret: secret.arn });
    return;
  }
  const schedule =
    'scheduleExpression' in config.rotation
      ? config.rotation.scheduleExpression
      : String(config.rotation.automaticallyAfterDays);
  if (secret.rotationEnabled && secret.rotationLambdaArn === ours && secret.rotationSchedule === schedule)
    return;
  await deps.store.attachRotation(secret.arn, { lambdaArn: ours, ...config.rotation });
}

async function ensureTags(
  secret: SecretDescription,
  config: TagConfig,
  base: string,
  full: AppSecretValue,
  deps: Pick<Deps, TaggedSecretKeys>,
): Promise<void> {
  const wanted = {
    [TAGS.managedBy]: MANAGED_BY_TAGS,
    [TAGS.username]: base,
    [TAGS.strategy]: config.strategy,
    [TAGS.grants]: config.grantsLabel,
    [TAGS.schemas]: tagList(config.schemas),
    [TAGS.applied]: appliedTag(config),
    [TAGS.engine]: full.engine,
    [TAGS.host]: full.host,
  };
  // Our own TagResource comes back as an event: tag only what differs, so it settles.
  if (Object.entries(wanted).some(([key, value]) => secret.tags[key] !== value))
    await deps.store.tag(secret.arn, wanted);
}

/** The tag went: stop rotating and managing; the user and its grants stay as they are. */
async function release(
  secret: SecretDescription,
  deps: Pick<Deps, TaggedSecretKeys>,
): Promise<ReconcileOutcome> {
  if (secret.tags[TAGS.managedBy] !== MANAGED_BY_TAGS) return 'not managed';
  if (secret.rotationEnabled && secret.rotationLambdaArn === deps.rotationLambdaArn)
    await deps.store.detachRotation(secret.arn);
  await deps.store.untag(secret.arn, [TAGS.managedBy, TAGS.applied]);
  await deps.publisher.publish(DETAIL_TYPES.userUpdated, {
    secretArn: secret.arn,
    user: secret.tags[TAGS.username] || undefined,
    change: 'released',
  });
  return 'released';
}
