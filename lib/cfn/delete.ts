import type { Deps } from '../deps';
import { DETAIL_TYPES } from '../events/publisher';
import { SecretNotFoundError } from '../secrets/errors';
import { TAGS } from '../secrets/tags';
import { removeUser } from '../users/lifecycle';
import { connectAsMaster } from '../users/master-session';
import type { CustomResourceEvent, Outcome } from './event';
import { defaultSecretName, isFailedCreateId, parsePhysicalId, type UserIdentity } from './identity';
import { managedByOf, masterServingStack, overridesOf, type DatabaseUserKeys } from './plan';
import { parseProperties, type DatabaseUserProperties } from './properties';
import { otherHolder } from '../users/claims';

/**
 * Delete: drop the user and schedule the secret's deletion, or retain both. The user is dropped
 * only while this resource holds it: no other live secret of dbauth's manages it.
 */
export async function remove(
  event: CustomResourceEvent,
  deps: Pick<Deps, DatabaseUserKeys>,
  signal: AbortSignal,
): Promise<Outcome> {
  const physicalResourceId = event.PhysicalResourceId ?? '';
  const identity = parsePhysicalId(physicalResourceId);
  // A Create that failed made nothing (it cleaned up after itself); an id that is not ours
  // names nothing we made.
  if (isFailedCreateId(physicalResourceId) || !identity) return { physicalResourceId };
  const props = parseProperties(event.ResourceProperties);
  if (props.OnDelete === 'Retain') return { physicalResourceId };
  const managedBy = managedByOf(event);
  // A Delete delivered again after another resource made the same user anew (the same id):
  // that resource's secret holds the user now, and dropping it would cut its login.
  const holder = await otherHolder(deps.store, identity, (claim) => claim.tags[TAGS.managedBy] === managedBy);
  if (holder) {
    deps.warn('user is held by another secret now: not dropped', {
      user: identity.username,
      holder: holder.arn,
    });
    await deleteOwnSecret(event, props, identity, deps);
    return { physicalResourceId };
  }
  // A master that no longer serves this stack is not used, even to drop what it made: the
  // Delete fails, saying so, and the stack's owner may retain the resource instead.
  const { master: described } = await masterServingStack(event, props, deps);
  // The id names the server the user was made on: act there, whatever the master says now.
  const master = await connectAsMaster(
    deps,
    described.arn,
    { ...overridesOf(props), host: identity.host, port: identity.port },
    { described },
  );
  deps.onEngine?.(master.endpoint.engine);
  try {
    signal.throwIfAborted();
    // The clone goes too, whatever Rotation says now: it may have been made under another strategy.
    const clone = master.engine.cloneUsername(identity.username);
    await removeUser(
      master.session,
      { username: identity.username, clone },
      {
        reassignOwnedTo: props.ReassignOwnedTo,
        dropOwnedObjects: props.DropOwnedObjects,
      },
    );
  } finally {
    await master.session.close();
  }
  const secret = await deleteOwnSecret(event, props, identity, deps);
  await deps.publisher.publish(DETAIL_TYPES.userDropped, {
    secretArn: secret,
    host: identity.host,
    user: identity.username,
    stackId: event.StackId,
    logicalResourceId: event.LogicalResourceId,
  });
  return { physicalResourceId };
}

/** Schedules the deletion of this resource's secret, if it is there; returns its ARN (or name). */
async function deleteOwnSecret(
  event: CustomResourceEvent,
  props: DatabaseUserProperties,
  identity: UserIdentity,
  deps: Pick<Deps, DatabaseUserKeys>,
): Promise<string> {
  const secretName =
    props.SecretName ??
    defaultSecretName(deps.secretNamePrefix, event.StackId, event.LogicalResourceId, identity);
  const secret = await deps.store.find(secretName);
  if (!secret || secret.tags[TAGS.managedBy] !== managedByOf(event)) return secretName;
  await deps.store
    .delete(secret.arn, { recoveryWindowDays: props.RecoveryWindowInDays })
    .catch((error: unknown) => {
      // Deleted meanwhile (a failed Create's cleanup racing its rollback): what this wanted.
      if (!(error instanceof SecretNotFoundError)) throw error;
    });
  return secret.arn;
}
