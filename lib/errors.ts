/**
 * The root of every error dbauth throws. Messages are written for the person reading a
 * CloudFormation event or a log line: they say what went wrong and what to do, and never
 * carry a password, a secret string, SQL text or a pre-signed URL.
 */
export class DbauthError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DbauthError';
  }
}

/** Input that can never succeed as given: a retry will not help. */
export class InvalidInputError extends DbauthError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** A message that is safe to show, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof DbauthError) return error.message;
  // Foreign errors (drivers, SDK) may quote statements or values: show only their kind.
  if (error instanceof Error) return `unexpected ${error.name}`;
  return 'unexpected failure';
}
