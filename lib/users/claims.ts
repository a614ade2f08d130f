import { InvalidInputError } from '../errors';
import type { SecretStore } from '../secrets/secret-store';
import { TAGS } from '../secrets/tags';

/** Enough to see whether another claim is on the same server, without reading every secret. */
const MAX_CLAIMS_READ = 20;

/**
 * Refuses to take over a user that another live secret managed by dbauth already holds on the
 * same server. Two secrets rotating one user set each other's password back and forth, and the
 * application of one of them loses its login at every rotation of the other.
 */
export async function refuseClaimedUser(
  store: Pick<SecretStore, 'listTagged'>,
  user: { username: string; host: string; secretArn?: string },
): Promise<void> {
  const host = user.host.toLowerCase();
  const claims = await store.listTagged(TAGS.username, user.username, MAX_CLAIMS_READ);
  const other = claims.find(
    (claim) =>
      claim.arn !== user.secretArn &&
      claim.tags[TAGS.managedBy] !== undefined &&
      claim.tags[TAGS.host]?.toLowerCase() === host,
  );
  if (other) {
    throw new InvalidInputError(
      `user ${user.username} on ${user.host} is already managed by dbauth through secret ${other.arn}`,
    );
  }
}
