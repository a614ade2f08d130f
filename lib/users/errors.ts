import { InvalidInputError } from '../errors';

/**
 * The master secret does not lend itself to this request: its consent tags do not name the
 * stack or secret asking, the grant asked for, or the user to take over. Nothing was changed.
 */
export class ConsentRefusedError extends InvalidInputError {
  constructor(message: string) {
    super(message);
    this.name = 'ConsentRefusedError';
  }
}
