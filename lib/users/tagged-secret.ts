import type { Deps } from '../deps';
import { InvalidInputError } from '../errors';
import { DETAIL_TYPES } from '../events/publisher';
import type { SecretDescription } from '../secrets/secret-description';
import type { AppSecretValue } from '../secrets/secret-value';
import { MANAGED_BY_STACK, MANAGED_BY_TAGS, TAGS } from '../secrets/tags';
import { refuseClaimedUser } from './claims';
import {
  consentForSecret,
  refuseSecretOutsidePrefix,
  refuseStrongerGrants,
  refuseUnconsentedAdoption,
} from './consent';
import { tagList } from './grants';
import { connectAsMaster, describeMaster, type MasterKeys } from './master-session';
import { appliedTag, tagConfigOf, type TagConfig } from './tag-config';
import { checkedUser, ensureFullValue, readCurrent } from './tagged-secret-value';
import { ensureGrants, ensureUser } from './tagged-user';

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
