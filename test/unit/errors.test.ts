import { DbauthError, DeadlinePassedError, describeError, InvalidInputError } from '../../lib/errors';
import { MalformedEventError } from '../../lib/events/errors';
import { InvalidSecretValueError, SecretError } from '../../lib/secrets/errors';
import {
  ConsentRefusedError,
  DatabaseUserError,
  MasterAuthenticationError,
  UnsupportedEngineError,
} from '../../lib/users/errors';

describe('errors', () => {
  it('counts an area error marked as bad input as an InvalidInputError, and keeps its area', () => {
    const refused = new ConsentRefusedError('not yours');
    expect(refused).toBeInstanceOf(DatabaseUserError);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect(new UnsupportedEngineError('oracle')).toBeInstanceOf(InvalidInputError);
    expect(new MalformedEventError('no detail')).toBeInstanceOf(InvalidInputError);
    expect(new InvalidInputError('bad')).toBeInstanceOf(DbauthError);
  });

  it('does not count other errors as bad input', () => {
    expect(new MasterAuthenticationError('arn:m', ['AWSCURRENT'])).not.toBeInstanceOf(InvalidInputError);
    expect(new DeadlinePassedError()).not.toBeInstanceOf(InvalidInputError);
    expect(new Error('x')).not.toBeInstanceOf(InvalidInputError);
    expect('a string').not.toBeInstanceOf(InvalidInputError);
  });

  it('names each error by its class and keeps its message showable', () => {
    const invalid = new InvalidSecretValueError('s1', 'it is not JSON');
    expect(invalid).toBeInstanceOf(SecretError);
    expect(invalid.name).toBe('InvalidSecretValueError');
    expect(describeError(invalid)).toBe('secret s1 does not hold the expected JSON: it is not JSON');
  });
});
