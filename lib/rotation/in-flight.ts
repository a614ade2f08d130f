import { SecretNotFoundError } from '../secrets/errors';
import type { SecretStore } from '../secrets/secret-store';
import type { SecretDescription } from '../secrets/secret-description';
import { AWSCURRENT, AWSPENDING } from '../secrets/stages';

/**
 * The version, other than `token`, on which an unfinished rotation staged a password. Two
 * rotations at once would each set the server's password, and the one finishing first could
 * promote a password the other has already replaced. A version staged without a value, or
 * with AWSCURRENT's (an abandoned RotateSecret), holds no new password, and does not count. Reads a value only when
 * another version is pending, which Secrets Manager's own RotateSecret never leaves.
 */
export async function rotationInFlight(
  store: Pick<SecretStore, 'getString'>,
  secret: SecretDescription,
  token: string | undefined,
): Promise<string | undefined> {
  let current: string | undefined;
  for (const [versionId, stages] of Object.entries(secret.versions)) {
    if (versionId === token || !stages.includes(AWSPENDING) || stages.includes(AWSCURRENT)) continue;
    const pending = await valueOf(store, secret.arn, versionId);
    if (pending === undefined) continue;
    current ??= await valueOf(store, secret.arn, undefined);
    // A copy of AWSCURRENT (what a RotateSecret that never reached createSecret may leave) stages no password.
    if (pending !== current) return versionId;
  }
  return undefined;
}

async function valueOf(
  store: Pick<SecretStore, 'getString'>,
  arn: string,
  versionId: string | undefined,
): Promise<string | undefined> {
  try {
    const value = await store.getString(arn, versionId ? { versionId } : { stage: AWSCURRENT });
    return value.reveal();
  } catch (error) {
    if (error instanceof SecretNotFoundError) return undefined;
    throw error;
  }
}
