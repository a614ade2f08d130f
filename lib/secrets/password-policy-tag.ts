import { InvalidInputError } from '../errors';
import type { PasswordPolicy } from './random-password';
import { TAGS } from './tags';

/** What a secret may say of its passwords; the rest of the policy is the deployment's. */
export interface SecretPasswordPolicy {
  length: number;
  excludeCharacters?: string;
}

const MIN_LENGTH = 16;
const MAX_LENGTH = 128;

/**
 * The `dbauth:password-policy` tag: `length=40`, or `length=40 exclude=<base64>`. Tag values
 * allow only letters, digits, spaces and `_.:/=+-@`, so the excluded characters (quotes,
 * backslashes...) travel in base64. Rotation reads it, so a resource's PasswordLength and
 * ExcludeCharacters hold for every password, not only the first.
 */
export function passwordPolicyTag(policy: SecretPasswordPolicy): string {
  const exclude =
    policy.excludeCharacters !== undefined
      ? ` exclude=${Buffer.from(policy.excludeCharacters, 'utf8').toString('base64')}`
      : '';
  return `length=${policy.length}${exclude}`;
}

/** The deployment's policy with what the secret's tag says (none: the deployment's alone). */
export function policyOf(tags: Record<string, string>, deployment: PasswordPolicy): PasswordPolicy {
  const value = tags[TAGS.passwordPolicy];
  if (value === undefined) return deployment;
  const fields = Object.fromEntries(
    value
      .trim()
      .split(/\s+/)
      .map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)]),
  );
  const length = Number(fields.length);
  const known = Object.keys(fields).every((key) => key === 'length' || key === 'exclude');
  const exclude = fields.exclude === undefined ? undefined : Buffer.from(fields.exclude, 'base64');
  if (
    !known ||
    !Number.isInteger(length) ||
    length < MIN_LENGTH ||
    length > MAX_LENGTH ||
    (fields.exclude !== undefined && exclude?.toString('base64') !== fields.exclude)
  ) {
    throw new InvalidInputError(
      `tag ${TAGS.passwordPolicy} is not understood: expected length=<${MIN_LENGTH}-${MAX_LENGTH}> and optionally exclude=<base64 of the characters>`,
    );
  }
  return {
    ...deployment,
    length,
    // Absent, not undefined: an undefined would erase the deployment's excludeCharacters.
    ...(exclude !== undefined ? { excludeCharacters: exclude.toString('utf8') } : {}),
  };
}
