import { createHash } from 'node:crypto';

/**
 * A user's identity is its server and its name: users are server-wide in both engines, so
 * a new database for the same name is a grant change, not a new user. The identity is the
 * PhysicalResourceId, and a Delete acts on the server it names.
 */
export interface UserIdentity {
  family: string;
  host: string;
  port: number;
  username: string;
}

const PREFIX = 'dbauth';
const FAILED_CREATE = 'failed-create';

export function physicalIdOf(identity: UserIdentity): string {
  return [PREFIX, identity.family, identity.host, identity.port, identity.username].join('/');
}

export function parsePhysicalId(id: string | undefined): UserIdentity | undefined {
  const parts = id?.split('/') ?? [];
  if (parts.length !== 5 || parts[0] !== PREFIX) return undefined;
  const [, family = '', host = '', port = '', username = ''] = parts;
  const portNumber = Number(port);
  if (!family || !host || !username || !Number.isInteger(portNumber)) return undefined;
  return { family, host, port: portNumber, username };
}

/** The id a failed Create answers with: its Delete then touches nothing. */
export const failedCreateId = (requestId: string) => [PREFIX, FAILED_CREATE, requestId].join('/');
export const isFailedCreateId = (id: string | undefined) =>
  id?.startsWith(`${PREFIX}/${FAILED_CREATE}/`) === true;

/** `<prefix><stack name>/<logical id>-<hash of identity>`: stable for resends, new on replacement. */
export function defaultSecretName(
  prefix: string,
  stackId: string,
  logicalId: string,
  identity: UserIdentity,
): string {
  const stackName = stackId.split('/')[1] ?? 'stack';
  // The stack id carries the stack's UUID: a stack made again gets new names, not ones
  // still held by secrets scheduled for deletion.
  const hash = createHash('sha256')
    .update(`${stackId}|${physicalIdOf(identity)}`)
    .digest('hex')
    .slice(0, 8);
  return `${prefix}${stackName}/${logicalId}-${hash}`;
}
