import { Redacted } from './redacted';

/** A database user's password: it prints `[REDACTED]`, and only `reveal()` gives it. */
export class Password extends Redacted {
  // Types a password apart from a secret string, which has the same members.
  declare private readonly brand: 'password';

  constructor(value: string) {
    super(value, 'password');
  }
}
