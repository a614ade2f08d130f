import { InvalidIdentifierError } from './errors';

/**
 * Checks a name against a pattern and a list of reserved names or prefixes. Engines quote
 * every identifier anyway; the pattern refuses anything that would need more than quoting.
 */
export function checkIdentifier(
  kind: string,
  value: string,
  rule: { pattern: RegExp; maxLength: number; describe: string; reserved?: RegExp },
): void {
  if (value.length === 0) throw new InvalidIdentifierError(kind, 'it is empty');
  if (value.length > rule.maxLength) {
    throw new InvalidIdentifierError(kind, `it is longer than ${rule.maxLength} characters`);
  }
  // The name is not echoed: it may be an injection attempt, and it may be long.
  if (!rule.pattern.test(value)) throw new InvalidIdentifierError(kind, `it must be ${rule.describe}`);
  if (rule.reserved?.test(value)) {
    throw new InvalidIdentifierError(kind, `${value} is reserved by the database or its host`);
  }
}

/** `name` + suffix, cutting `name` so the result fits `maxLength`. */
export function suffixWithin(name: string, suffix: string, maxLength: number): string {
  return name.slice(0, maxLength - suffix.length) + suffix;
}
