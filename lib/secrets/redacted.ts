import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A value that must never be shown. Printing, logging or serialising it shows `[REDACTED]`;
 * only `reveal()` gives the value, so every place that needs it is easy to find.
 */
export abstract class Redacted {
  readonly #value: string;

  protected constructor(value: string, what: string) {
    if (value.length === 0) throw new TypeError(`a ${what} cannot be empty`);
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  equals(other: this | undefined): boolean {
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
