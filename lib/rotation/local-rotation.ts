import { randomUUID } from 'node:crypto';
import type { SecretStore } from '../secrets/secret-store';
import { AWSPENDING } from '../secrets/stages';
import { ROTATION_STEPS, type RotationEvent, type RotationStep } from './event';
import { RotationInProgressError } from './errors';
import { rotationInFlight } from './in-flight';
import type { StepResult } from './protocol';

export interface LocalRotationOptions {
  /** The version id of the new version; a fresh UUID unless given (to resume a rotation). */
  token?: string;
  /** The steps to run, in order; all four unless given. */
  steps?: readonly RotationStep[];
  onStep?: (result: StepResult, elapsedMs: number) => void;
  /** Told the token before the first step, so a rotation that fails can be resumed with it. */
  onStart?: (token: string) => void;
}

/**
 * Plays Secrets Manager's part in a rotation: a new token (refused while another rotation
 * is in flight, as RotateSecret refuses), or the token of one to resume, then the four steps
 * in order, each one invocation of the rotation function. After finishSecret it takes AWSPENDING off
 * the new version, as the service does once a rotation succeeded.
 */
export async function runLocalRotation(
  invoke: (event: RotationEvent) => Promise<StepResult>,
  store: SecretStore,
  secretId: string,
  options: LocalRotationOptions = {},
): Promise<{ token: string; results: StepResult[] }> {
  if (!options.token) {
    // A new rotation waits for the one in flight: resume it with its token instead.
    const secret = await store.describe(secretId);
    const inFlight = await rotationInFlight(store, secret, undefined);
    if (inFlight) throw new RotationInProgressError(secret.arn, inFlight);
  }
  const token = options.token ?? randomUUID();
  options.onStart?.(token);
  const results: StepResult[] = [];
  for (const step of options.steps ?? ROTATION_STEPS) {
    const started = Date.now();
    const result = await invoke({ Step: step, SecretId: secretId, ClientRequestToken: token });
    options.onStep?.(result, Date.now() - started);
    results.push(result);
  }
  if (results.some((result) => result.step === 'finishSecret')) {
    const secret = await store.describe(secretId);
    if (secret.versions[token]?.includes(AWSPENDING)) {
      await store.moveStage(secret.arn, AWSPENDING, { from: token });
    }
  }
  return { token, results };
}
