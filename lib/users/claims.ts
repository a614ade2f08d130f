import { InvalidInputError } from '../errors';
import type { SecretStore } from '../secrets/secret-store';
import type { TaggedSecret } from '../secrets/secrets-by-tag';
import { TAGS } from '../secrets/tags';

/**
 * Secrets dbauth reads to find the holders of one user name, on any server: a common name on
 * many servers needs several pages (100 each) before the host filter finds the one that counts.
 */
const MAX_CLAIMS_READ = 500;

/**
 * The live secret dbauth manages for `username` on `host`, other than `except` (an ARN, or a
 * test of the secret's tags): who holds the user now. Secrets scheduled for deletion hold nothing.
 */
export async function otherHolder(
  store: Pick<SecretStore, 'listTagged'>,
  user: { username: string; host: string },
  except: (claim: TaggedSecret) => boolean,
): Promise<TaggedSecret | undefined> {
  const host = user.host.toLowerCase();
  const claims = await store.listTagged(TAGS.username, user.username, MAX_CLAIMS_READ);
  return claims.find(
    (claim) =>
      !except(claim) &&
      claim.tags[TAGS.managedBy] !== undefined &&
      claim.tags[TAGS.host]?.toLowerCase() === host,
  );
}

/**
 * Refuses to take over a user that another live secret managed by dbauth already holds on the
 * same server. Two secrets rotating one user set each other's password back and forth, and the
 * application of one of them loses its login at every rotation of the other.
 */
export async function refuseClaimedUser(
  store: Pick<SecretStore, 'listTagged'>,
  user: { username: string; host: string; secretArn?: string },
): Promise<void> {
  const other = await otherHolder(store, user, (claim) => claim.arn === user.secretArn);
  if (other) {
    throw new InvalidInputError(
      `user ${user.username} on ${user.host} is already managed by dbauth through secret ${other.arn}`,
    );
  }
}
