import { randomUUID } from 'node:crypto';
import create from '../../fixtures/cloudformation/create.json';
import del from '../../fixtures/cloudformation/delete.json';
import update from '../../fixtures/cloudformation/update.json';
import type { CfnResponseServer } from './cfn-server';
import { TEST_STACK_PREFIX } from './aws';

const FIXTURES = { Create: create, Update: update, Delete: del };

/** The id of a test stack, named so that the test masters serve it (see TEST_CONSENT). */
export const testStackId = (name: string) =>
  `arn:aws:cloudformation:us-east-1:123456789012:stack/${TEST_STACK_PREFIX}${name}/${randomUUID()}`;

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
    // Absent, not undefined: the fixture's ids stay unless a test names others.
    ...(options.logicalResourceId ? { LogicalResourceId: options.logicalResourceId } : {}),
    ...(options.stackId ? { StackId: options.stackId } : {}),
  };
  if (type === 'Create') delete event.PhysicalResourceId;
  else event.PhysicalResourceId = options.physicalResourceId;
  if (type === 'Update')
    event.OldResourceProperties = { ServiceToken: fixture.ServiceToken, ...options.oldProperties };
  return event;
}
