import { decideStep } from '../../../lib/rotation/protocol';
import type { SecretDescription } from '../../../lib/secrets/secret-description';

const TOKEN = '11111111-2222-4333-8444-555555555555';

function secret(versions: Record<string, string[]>, rotationEnabled = true): SecretDescription {
  return {
    arn: 'arn:aws:secretsmanager:us-east-1:1:secret:s',
    name: 's',
    rotationEnabled,
    versions,
    tags: {},
  };
}

describe('decideStep (the preamble of every rotation step)', () => {
  it('runs a step whose token is AWSPENDING', () => {
    expect(decideStep('setSecret', secret({ [TOKEN]: ['AWSPENDING'], old: ['AWSCURRENT'] }), TOKEN)).toEqual({
      action: 'run',
    });
  });

  it('skips every step once the token is AWSCURRENT', () => {
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      expect(decideStep(step, secret({ [TOKEN]: ['AWSCURRENT', 'AWSPENDING'] }), TOKEN).action).toBe('skip');
    }
  });

  it('refuses a secret whose rotation is off', () => {
    expect(() => decideStep('createSecret', secret({ [TOKEN]: ['AWSPENDING'] }, false), TOKEN)).toThrow(
      'rotation is not enabled',
    );
  });

  it('refuses a token that is neither pending nor current', () => {
    expect(() => decideStep('testSecret', secret({ [TOKEN]: ['AWSPREVIOUS'] }), TOKEN)).toThrow(
      'is not AWSPENDING',
    );
  });

  it('refuses an unknown token, except in createSecret, which makes its version', () => {
    expect(() => decideStep('finishSecret', secret({ other: ['AWSCURRENT'] }), TOKEN)).toThrow(
      'has no version',
    );
    expect(decideStep('createSecret', secret({ other: ['AWSCURRENT'] }), TOKEN)).toEqual({ action: 'run' });
  });
});
