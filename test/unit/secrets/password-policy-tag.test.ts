import { passwordPolicyTag, policyOf } from '../../../lib/secrets/password-policy-tag';
import type { PasswordPolicy } from '../../../lib/secrets/random-password';

const deployment: PasswordPolicy = {
  length: 32,
  excludeCharacters: ':/@"\'\\',
  excludePunctuation: false,
  requireEachIncludedType: true,
};
const tagged = (value: string) => policyOf({ 'dbauth:password-policy': value }, deployment);

describe('the dbauth:password-policy tag', () => {
  it('carries length and excluded characters through values a tag allows', () => {
    const value = passwordPolicyTag({ length: 40, excludeCharacters: `"'\\;{}` });
    expect(value).toMatch(/^[A-Za-z0-9 _.:/=+\-@]+$/);
    expect(tagged(value)).toEqual({ ...deployment, length: 40, excludeCharacters: `"'\\;{}` });
  });

  it('keeps the deployment exclusions when it names only a length, and the whole policy without the tag', () => {
    expect(tagged(passwordPolicyTag({ length: 20 }))).toEqual({ ...deployment, length: 20 });
    expect(policyOf({}, deployment)).toBe(deployment);
  });

  it.each(['length=8', 'length=500', 'length=abc', 'length=20 colour=red', 'length=20 exclude=%%%', ''])(
    'refuses %p clearly',
    (value) => {
      expect(() => tagged(value)).toThrow(/tag dbauth:password-policy is not understood/);
    },
  );
});
