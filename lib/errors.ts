/**
 * The root of every error dbauth throws. Messages are written for the person reading a
 * CloudFormation event or a log line: they say what went wrong and what to do, and never
 * carry a password, a secret string, SQL text or a pre-signed URL.
 *
 * Each area has its own base in its `errors.ts` (`CustomResourceError`, `DatabaseUserError`,
 * `SecretError`, `RotationError`, `EventError`, `AwsError`, `EngineError`);
 * the deadline's errors, which every area meets, are here.
 */
export class DbauthError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DbauthError';
  }

  /**
   * Input that can never succeed as given, so a retry will not help. A mark rather than a base
   * class, because bad input is found in every area: a class sets it by overriding this getter,
   * and `instanceof InvalidInputError` answers for it.
   */
  get invalidInput(): boolean {
    return false;
  }
}

/**
 * Input that can never succeed as given: a retry will not help. Thrown as is where no area's
 * class says more; `error instanceof InvalidInputError` holds for every `DbauthError` marked
 * `invalidInput` (such as `ConsentRefusedError`, a `DatabaseUserError`).
 */
export class InvalidInputError extends DbauthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidInputError';
  }

  override get invalidInput(): boolean {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): value is InvalidInputError {
    return value instanceof DbauthError && value.invalidInput;
  }
}

/** The function's deadline cut the work short. */
export class DeadlineError extends DbauthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeadlineError';
  }
}

/** Work that went on past its deadline stops with this (its caller has already moved on). */
export class DeadlinePassedError extends DeadlineError {
  constructor(what = 'this work') {
    super(`the function deadline passed: ${what} stops here`);
    this.name = 'DeadlinePassedError';
  }
}

/** Work that did not finish before the invocation's deadline. */
export class DeadlineExceededError extends DeadlineError {
  constructor(what: string, budgetMs: number) {
    super(
      `${what} did not finish within the ${budgetMs} ms left before the function deadline: the database or an AWS API did not answer in time`,
    );
    this.name = 'DeadlineExceededError';
  }
}

/** A message that is safe to show, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof DbauthError) return error.message;
  // Foreign errors (drivers, SDK) may quote statements or values: show only their kind.
  if (error instanceof Error) return `unexpected ${error.name}`;
  return 'unexpected failure';
}
