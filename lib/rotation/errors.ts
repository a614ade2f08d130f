import { DbauthError } from '../errors';

/** A rotation step cannot go on. Secrets Manager retries the step; the message says why. */
export class RotationError extends DbauthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationError';
  }
}

export class UnknownStepError extends RotationError {
  constructor(step: string) {
    super(
      `unknown rotation step ${JSON.stringify(step.slice(0, 40))}: expected createSecret, setSecret, testSecret or finishSecret`,
    );
    this.name = 'UnknownStepError';
  }
}

export class RotationNotEnabledError extends RotationError {
  constructor(secretArn: string) {
    super(`rotation is not enabled on secret ${secretArn}`);
    this.name = 'RotationNotEnabledError';
  }
}

export class UnknownVersionError extends RotationError {
  constructor(secretArn: string, token: string) {
    super(`secret ${secretArn} has no version ${token} to rotate`);
    this.name = 'UnknownVersionError';
  }
}

export class NotPendingError extends RotationError {
  constructor(secretArn: string, token: string) {
    super(`version ${token} of secret ${secretArn} is not AWSPENDING, so it is not being rotated`);
    this.name = 'NotPendingError';
  }
}

export class PendingVersionMissingError extends RotationError {
  constructor(secretArn: string, token: string) {
    super(`secret ${secretArn} has no AWSPENDING value under ${token}: createSecret has not run`);
    this.name = 'PendingVersionMissingError';
  }
}

/** Single user: no password the secret knows logs in, and no master can help. */
export class CredentialsRejectedError extends RotationError {
  constructor(secretArn: string, username: string) {
    super(
      `no version of secret ${secretArn} (pending, current, previous) logs in as ${username}, ` +
        'and no master may set it: that needs a masterarn in the secret, and the tags dbauth:managed-by and dbauth:user naming this user',
    );
    this.name = 'CredentialsRejectedError';
  }
}

/** Alternating users: the current login must work before the master acts for it. */
export class CurrentLoginRejectedError extends RotationError {
  constructor(secretArn: string, username: string) {
    super(
      `the AWSCURRENT credentials of secret ${secretArn} (user ${username}) do not log in; ` +
        'dbauth will not use the master user on their behalf',
    );
    this.name = 'CurrentLoginRejectedError';
  }
}

export class MasterRequiredError extends RotationError {
  constructor(secretArn: string) {
    super(`secret ${secretArn} rotates with alternating users, which needs "masterarn" in its JSON`);
    this.name = 'MasterRequiredError';
  }
}

/** The secret points at another server than its master's: the master's password stays home. */
export class MasterElsewhereError extends RotationError {
  constructor(secretArn: string, secretHost: string, masterHost: string) {
    super(
      `secret ${secretArn} names database host ${secretHost}, but its master secret's database is ${masterHost}; refusing to rotate`,
    );
    this.name = 'MasterElsewhereError';
  }
}

/** Another rotation of the secret staged a password and has not finished: one at a time. */
export class RotationInProgressError extends RotationError {
  constructor(secretArn: string, pendingToken: string) {
    super(
      `secret ${secretArn} is being rotated already (version ${pendingToken} is AWSPENDING with a password): ` +
        `finish that rotation (npm run rotate -- --secret-id ${secretArn} --token ${pendingToken}) or cancel it ` +
        '(remove AWSPENDING from that version) before starting another',
    );
    this.name = 'RotationInProgressError';
  }
}
