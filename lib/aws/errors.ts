import { DbauthError } from '../errors';

/** An AWS API other than Secrets Manager (which has `SecretError`) did not tell what was asked. */
export class AwsError extends DbauthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsError';
  }
}

/** RDS did not give the endpoint of the instance or cluster a master secret is tagged with. */
export class RdsLookupError extends AwsError {
  constructor(arn: string, reason: string) {
    super(`could not find the endpoint of ${arn}: ${reason}`);
    this.name = 'RdsLookupError';
  }
}
