import {
  consentForRotatedSecret,
  consentForSecret,
  consentForStack,
  refuseSecretOutsidePrefix,
  refuseStrongerGrants,
  refuseUnconsentedAdoption,
} from '../../../lib/users/consent';
import { ConsentRefusedError } from '../../../lib/users/errors';
import { InvalidInputError } from '../../../lib/errors';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:team-a/master-AbCdEf';
const stackId = (name: string, account = '111122223333') =>
  `arn:aws:cloudformation:us-east-1:${account}:stack/${name}/0c1d2e3f-aaaa-bbbb-cccc-0123456789ab`;
const master = (tags: Record<string, string>) => ({ arn: ARN, tags });

describe('consent on the master', () => {
  it('serves the stacks whose names start with a listed prefix, nested stacks of a root included', () => {
    const tagged = master({ 'dbauth:allow-stacks': 'team-a- billing' });
    expect(consentForStack(tagged, stackId('team-a-orders')).masterArn).toBe(ARN);
    expect(consentForStack(tagged, stackId('team-a-orders-Database-1X2Y3Z')).masterArn).toBe(ARN);
    expect(consentForStack(tagged, stackId('billing-prod')).masterArn).toBe(ARN);
    expect(() => consentForStack(tagged, stackId('team-b-orders'))).toThrow(ConsentRefusedError);
    expect(() => consentForStack(tagged, stackId('xteam-a-orders'))).toThrow(
      /does not serve stack xteam-a-orders/,
    );
  });

  it('refuses every stack when the tag is absent, and names the tag to add', () => {
    expect(() => consentForStack(master({}), stackId('team-a-orders'))).toThrow(
      /names no stack .*tag it dbauth:allow-stacks/,
    );
  });

  it("refuses a stack of another account than the function's, and a StackId that is no stack ARN", () => {
    const tagged = master({ 'dbauth:allow-stacks': 'team-a-' });
    expect(() => consentForStack(tagged, stackId('team-a-orders', '999988887777'), '111122223333')).toThrow(
      /account 999988887777, not in this function's account 111122223333/,
    );
    expect(() => consentForStack(tagged, 'team-a-orders')).toThrow(/not a CloudFormation stack ARN/);
    expect(() => consentForStack(tagged, `${stackId('team-a-x')}/../team-b`)).toThrow(InvalidInputError);
  });

  it('reads a malformed list as an error, never as a wider consent', () => {
    for (const value of ['', '   ', 'team-a-,team-b-', 'team-a-*', 'team;a']) {
      expect(() => consentForStack(master({ 'dbauth:allow-stacks': value }), stackId('team-a-x'))).toThrow(
        /dbauth:allow-stacks of master secret .* is malformed/,
      );
    }
  });

  it('serves tagged secrets by name prefix', () => {
    const tagged = master({ 'dbauth:allow-secrets': 'dbauth/team-a/' });
    expect(consentForSecret(tagged, 'dbauth/team-a/orders').masterArn).toBe(ARN);
    expect(() => consentForSecret(tagged, 'dbauth/team-b/orders')).toThrow(
      /does not serve secret dbauth\/team-b\/orders/,
    );
    expect(() => consentForSecret(master({ 'dbauth:allow-stacks': 'dbauth/' }), 'dbauth/x')).toThrow(
      /tag it dbauth:allow-secrets/,
    );
  });

  it('lends readonly when it names no ceiling, and a preset or the privileges it names otherwise', () => {
    const stack = stackId('team-a-x');
    const none = consentForStack(master({ 'dbauth:allow-stacks': 'team-a-' }), stack);
    expect(none.maxPrivileges).toEqual(['SELECT']);
    expect(() => refuseStrongerGrants(none, ['SELECT', 'INSERT'])).toThrow(
      /lends at most readonly .* INSERT asked/,
    );
    const rw = consentForStack(
      master({ 'dbauth:allow-stacks': 'team-a-', 'dbauth:max-grants': 'readwrite' }),
      stack,
    );
    expect(() => refuseStrongerGrants(rw, ['DELETE', 'INSERT', 'SELECT', 'UPDATE'])).not.toThrow();
    expect(() => refuseStrongerGrants(rw, ['TRUNCATE'])).toThrow(ConsentRefusedError);
    const listed = consentForStack(
      master({ 'dbauth:allow-stacks': 'team-a-', 'dbauth:max-grants': 'select insert' }),
      stack,
    );
    expect(listed.maxPrivileges).toEqual(['INSERT', 'SELECT']);
    for (const value of ['all', 'SELECT,INSERT', 'SELECT DROP', '']) {
      expect(() =>
        consentForStack(master({ 'dbauth:allow-stacks': 'team-a-', 'dbauth:max-grants': value }), stack),
      ).toThrow(/dbauth:max-grants .* is malformed/);
    }
  });

  it('lets no existing user be taken over unless dbauth:allow-adopt names a prefix of its name', () => {
    const stack = stackId('team-a-x');
    const closed = consentForStack(master({ 'dbauth:allow-stacks': 'team-a-' }), stack);
    expect(() => refuseUnconsentedAdoption(closed, 'app_orders')).toThrow(/dbauth:allow-adopt/);
    const open = consentForStack(
      master({ 'dbauth:allow-stacks': 'team-a-', 'dbauth:allow-adopt': 'app_ legacy' }),
      stack,
    );
    expect(() => refuseUnconsentedAdoption(open, 'app_orders')).not.toThrow();
    expect(() => refuseUnconsentedAdoption(open, 'legacy_reports')).not.toThrow();
    expect(() => refuseUnconsentedAdoption(open, 'owner')).toThrow(ConsentRefusedError);
  });

  it('acts for a rotated secret by the stack that made it, or else by the secret name', () => {
    const tagged = master({ 'dbauth:allow-stacks': 'team-a-', 'dbauth:allow-secrets': 'dbauth/team-a/' });
    const byStack = {
      name: 'dbauth/any/x',
      tags: { 'dbauth:managed-by': `cloudformation:${stackId('team-a-x')}/AppUser` },
    };
    expect(consentForRotatedSecret(tagged, byStack).masterArn).toBe(ARN);
    const otherStack = {
      name: 'dbauth/team-a/x',
      tags: { 'dbauth:managed-by': `cloudformation:${stackId('team-b-x')}/AppUser` },
    };
    expect(() => consentForRotatedSecret(tagged, otherStack)).toThrow(/does not serve stack team-b-x/);
    expect(
      consentForRotatedSecret(tagged, { name: 'dbauth/team-a/y', tags: { 'dbauth:managed-by': 'tags' } })
        .masterArn,
    ).toBe(ARN);
    expect(() => consentForRotatedSecret(tagged, { name: 'dbauth/team-b/y', tags: {} })).toThrow(
      ConsentRefusedError,
    );
  });

  it("refuses a secret name outside dbauth's prefix", () => {
    expect(() => refuseSecretOutsidePrefix('dbauth/a', 'dbauth/', 'SecretName')).not.toThrow();
    expect(() => refuseSecretOutsidePrefix('dbauthx/a', 'dbauth/', 'SecretName')).toThrow(
      /SecretName dbauthx\/a is not under dbauth's secret name prefix dbauth\//,
    );
  });
});
