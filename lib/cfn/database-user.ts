import type { Deps } from '../deps';
import { DETAIL_TYPES } from '../events/publisher';
import { createWithPlan } from './create';
import { updateWithPlan } from './update';
import { remove } from './delete';
import type { CustomResourceEvent, Outcome } from './event';
import { planFor, type DatabaseUserKeys } from './plan';
import { parseProperties } from './properties';

export type { DatabaseUserKeys } from './plan';

/**
 * Carries out one CloudFormation request for a `Custom::DatabaseUser`. Once `signal` aborts
 * (CloudFormation was told FAILED at the deadline), it changes nothing more.
 */
export async function runDatabaseUserRequest(
  event: CustomResourceEvent,
  deps: Pick<Deps, DatabaseUserKeys>,
  signal: AbortSignal = new AbortController().signal,
): Promise<Outcome> {
  if (event.RequestType === 'Delete') return remove(event, deps, signal);
  const props = parseProperties(event.ResourceProperties);
  const plan = await planFor(event, props, deps);
  let outcome: Outcome;
  try {
    outcome =
      event.RequestType === 'Create'
        ? await createWithPlan(plan, deps, props.AdoptExistingUser ? 'adopt' : 'refuse', signal)
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
