import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A password or secret string. Printing, logging or serialising it shows `[REDACTED]`;
 * only `reveal()` gives the value, so every place that needs it is easy to find.
 */
export class Password {
  readonly #value: string;

  constructor(value: string) {
    if (value.length === 0) throw new TypeError('a password cannot be empty');
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  equals(other: Password | undefined): boolean {
    return other !== undefined && other.reveal() === this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
