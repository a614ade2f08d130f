import type { AppSecretValue } from '../secrets/secret-value';
import type { RotationContext } from './context';

/** How a secret's user is rotated: which login the new password is for, and how it is set. */
export interface RotationStrategy {
  /** The login the pending version is for. */
  pendingUsername(context: RotationContext, current: AppSecretValue): Promise<string>;
  /** Makes the pending password work in the database; safe to run again. */
  setSecret(context: RotationContext): Promise<void>;
}
