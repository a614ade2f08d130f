import { DbauthError } from '../errors';

/** Something about a secret in Secrets Manager stops the work. */
export class SecretError extends DbauthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretError';
  }
}

export class SecretNotFoundError extends SecretError {
  constructor(readonly secretId: string) {
    super(`secret ${secretId} was not found (or is scheduled for deletion)`);
    this.name = 'SecretNotFoundError';
  }
}

/** A Secrets Manager call failed for a reason other than a missing secret. */
export class SecretsManagerCallError extends SecretError {
  constructor(
    operation: string,
    secretId: string,
    readonly errorName: string,
  ) {
    super(`Secrets Manager ${operation} on ${secretId} failed: ${errorName}`);
    this.name = 'SecretsManagerCallError';
  }
}

/** The secret's JSON is not what its kind of secret holds (the message names fields, never values). */
export class InvalidSecretValueError extends SecretError {
  constructor(secretId: string, problem: string) {
    super(`secret ${secretId} does not hold the expected JSON: ${problem}`);
    this.name = 'InvalidSecretValueError';
  }
}
