import { DbauthError, describeError } from '../errors';

/** A `Custom::DatabaseUser` request could not be carried out or answered. */
export class CustomResourceError extends DbauthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CustomResourceError';
  }
}

/**
 * A Create failed and could not take back all it made: the user may still exist, so its
 * secret (which holds the password) was kept. The FAILED answer names the user's id instead of
 * a failed-create id, so CloudFormation's rollback Delete removes both.
 */
export class CreateLeftUserError extends CustomResourceError {
  constructor(
    failure: unknown,
    readonly physicalResourceId: string,
    host: string,
  ) {
    super(
      `${describeError(failure)}; the user may still exist on ${host}: its secret was kept, and a Delete of ${physicalResourceId} removes both`,
    );
    this.name = 'CreateLeftUserError';
  }
}

/** The reply could not be PUT to CloudFormation's pre-signed URL. */
export class ResponseDeliveryError extends CustomResourceError {
  constructor(reason: string) {
    // The URL is pre-signed: it is a credential, so it is never part of a message.
    super(`could not deliver the response to CloudFormation: ${reason}`);
    this.name = 'ResponseDeliveryError';
  }
}
