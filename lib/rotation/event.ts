import { z } from 'zod';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager sends the rotation function. `RotationToken` comes with cross-account rotation. */
export const rotationEvent = z.object({
  Step: z.string().min(1),
  SecretId: z.string().min(1).max(2048),
  ClientRequestToken: z.string().min(32).max(64),
  RotationToken: z.string().min(1).optional(),
});
export type RotationEvent = z.infer<typeof rotationEvent>;

export const isRotationStep = (step: string): step is RotationStep =>
  (ROTATION_STEPS as readonly string[]).includes(step);
