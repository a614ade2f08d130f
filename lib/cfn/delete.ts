import { DETAIL_TYPES } from '../events/publisher';
import { TAGS } from '../secrets/tags';
import { removeUser } from '../users/lifecycle';
import { connectAsMaster } from '../users/master-session';
import type { CustomResourceEvent, Outcome } from './event';
import { defaultSecretName, isFailedCreateId, parsePhysicalId } from './identity';
import { managedByOf, overridesOf, type DatabaseUserDeps } from './plan';
import { parseProperties } from './properties';

/** Delete: drop the user and schedule the secret's deletion, or retain both. */
export async function remove(
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
    // The clone goes too, whatever Rotation says now: it may have been made under another strategy.
    const clone = master.engine.cloneUsername(identity.username);
    await removeUser(
      master.session,
      { username: identity.username, clone },
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
