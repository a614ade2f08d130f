import { SecretNotFoundError } from '../secrets/errors';
import type { SecretDescription, SecretStore } from '../secrets/secret-store';
import { AWSCURRENT, AWSPENDING } from '../secrets/stages';

/**
 * The version, other than `token`, on which an unfinished rotation staged a password. Two
 * rotations at once would each set the server's password, and the one finishing first could
 * promote a password the other has already replaced. A version staged without a value (an
 * abandoned RotateSecret) holds no password, and does not count. Reads a value only when
 * another version is pending, which Secrets Manager's own RotateSecret never leaves.
 */
export async function rotationInFlight(
  store: Pick<SecretStore, 'getString'>,
  secret: SecretDescription,
  token: string | undefined,
): Promise<string | undefined> {
  for (const [versionId, stages] of Object.entries(secret.versions)) {
    if (versionId === token || !stages.includes(AWSPENDING) || stages.includes(AWSCURRENT)) continue;
    const hasValue = await store.getString(secret.arn, { versionId }).then(
      () => true,
      (error: unknown) => {
        if (error instanceof SecretNotFoundError) return false;
        throw error;
      },
    );
    if (hasValue) return versionId;
  }
  return undefined;
}
