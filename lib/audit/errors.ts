import { DbauthError } from '../errors';

/** The drift audit could not do what it was asked. */
export class AuditError extends DbauthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditError';
  }
}

/** An on-demand audit's event (or the CLI's options) asks for something the audit does not do. */
export class InvalidAuditRequestError extends AuditError {
  constructor(problem: string) {
    super(`not an audit request: ${problem}`);
    this.name = 'InvalidAuditRequestError';
  }

  override get invalidInput(): boolean {
    return true;
  }
}

/** The audit's state table could not be read or written: without it, nothing is published twice-safe. */
export class DriftStateError extends AuditError {
  constructor(operation: string, errorName: string) {
    super(
      `the drift audit's state table refused ${operation} (${errorName}); check DBAUTH_AUDIT_TABLE and the role's DynamoDB permissions`,
    );
    this.name = 'DriftStateError';
  }
}
