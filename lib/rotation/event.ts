import * as z from 'zod/mini';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager sends the rotation function. `RotationToken` comes with cross-account rotation. */
export const rotationEvent = z.object({
  Step: z.string().check(z.minLength(1), z.maxLength(64)),
  SecretId: z.string().check(z.minLength(1), z.maxLength(2048)),
  ClientRequestToken: z.string().check(z.minLength(32), z.maxLength(64)),
  RotationToken: z.optional(z.string().check(z.minLength(1))),
});
export type RotationEvent = z.infer<typeof rotationEvent>;

export const isRotationStep = (step: string): step is RotationStep =>
  (ROTATION_STEPS as readonly string[]).includes(step);
