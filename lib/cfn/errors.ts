import { DbauthError, describeError } from '../errors';

/**
 * A Create failed and could not take back all it made: the user may still exist, so its
 * secret (which holds the password) was kept. The FAILED answer names the user's id instead of
 * a failed-create id, so CloudFormation's rollback Delete removes both.
 */
export class CreateLeftUserError extends DbauthError {
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
