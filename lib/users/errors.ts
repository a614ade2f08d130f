import { DbauthError } from '../errors';
import { ENGINE_NAMES } from '../engines/registry';

/** A database user cannot be made, changed or taken over as asked. */
export class DatabaseUserError extends DbauthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseUserError';
  }
}

/**
 * The master secret does not lend itself to this request: its consent tags do not name the
 * stack or secret asking, the grant asked for, or the user to take over. Nothing was changed.
 */
export class ConsentRefusedError extends DatabaseUserError {
  constructor(message: string) {
    super(message);
    this.name = 'ConsentRefusedError';
  }

  override get invalidInput(): boolean {
    return true;
  }
}

/** The secret names a database engine dbauth does not drive. */
export class UnsupportedEngineError extends DatabaseUserError {
  constructor(engine: string) {
    super(
      `engine ${JSON.stringify(engine.slice(0, 40))} is not supported; use one of ${ENGINE_NAMES.join(', ')}`,
    );
    this.name = 'UnsupportedEngineError';
  }

  override get invalidInput(): boolean {
    return true;
  }
}

/** No version of the master secret logs in: the master cannot act. */
export class MasterAuthenticationError extends DatabaseUserError {
  constructor(masterArn: string, tried: string[]) {
    super(`no version of master secret ${masterArn} (${tried.join(', ')}) logs in to the database`);
    this.name = 'MasterAuthenticationError';
  }
}
