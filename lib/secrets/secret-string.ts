import { Redacted } from './redacted';

/**
 * The whole string of a secret version (the JSON holding a password): it prints
 * `[REDACTED]`, and only `reveal()` gives it. Not a `Password`, so one is never passed for the other.
 */
export class SecretString extends Redacted {
  // Types a secret string apart from a password, which has the same members.
  declare private readonly brand: 'secret string';

  constructor(value: string) {
    super(value, 'secret string');
  }

  /** The string read as JSON (throws `SyntaxError` when it is not). */
  json(): unknown {
    return JSON.parse(this.reveal());
  }
}
