import { createHash } from 'node:crypto';
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

/** What the second login of the alternating-users strategy adds to the first one's name. */
export const CLONE_SUFFIX = '_clone';

/**
 * `name` + suffix when that fits `maxLength` (AWS's rule, so existing `name_clone` logins are
 * found). Otherwise `name` is cut and six hex digits of its SHA-256 go before the suffix: a
 * plain cut would give two long names that share a prefix the same clone, and the rotation of
 * one would then take over the other's second login.
 */
export function suffixWithin(name: string, suffix: string, maxLength: number): string {
  if (name.length + suffix.length <= maxLength) return name + suffix;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, maxLength - suffix.length - hash.length - 1)}_${hash}${suffix}`;
}
