import { randomUUID } from 'node:crypto';
import create from '../../fixtures/cloudformation/create.json';
import del from '../../fixtures/cloudformation/delete.json';
import update from '../../fixtures/cloudformation/update.json';
import type { CfnResponseServer } from './cfn-server';

const FIXTURES = { Create: create, Update: update, Delete: del };

/**
 * A CloudFormation request built from the real-shaped fixture of its type, with the
 * properties, ids and ResponseURL of the test.
 */
export function cfnEvent(
  type: 'Create' | 'Update' | 'Delete',
  server: CfnResponseServer,
  options: {
    properties: Record<string, unknown>;
    oldProperties?: Record<string, unknown>;
    physicalResourceId?: string;
    requestId?: string;
    logicalResourceId?: string;
    stackId?: string;
  },
): Record<string, unknown> {
  const requestId = options.requestId ?? randomUUID();
  const fixture = structuredClone(FIXTURES[type]) as Record<string, unknown>;
  const event: Record<string, unknown> = {
    ...fixture,
    RequestId: requestId,
    ResponseURL: server.urlFor(requestId),
    ResourceProperties: { ServiceToken: fixture.ServiceToken, ...options.properties },
    ...(options.logicalResourceId ? { LogicalResourceId: options.logicalResourceId } : {}),
    ...(options.stackId ? { StackId: options.stackId } : {}),
  };
  if (type === 'Create') delete event.PhysicalResourceId;
  else event.PhysicalResourceId = options.physicalResourceId;
  if (type === 'Update')
    event.OldResourceProperties = { ServiceToken: fixture.ServiceToken, ...options.oldProperties };
  return event;
}
