import { failedCreateId, isFailedCreateId, parsePhysicalId, physicalIdOf } from '../../../lib/cfn/identity';
import { parseProperties } from '../../../lib/cfn/properties';

describe('physical resource ids', () => {
  it('round-trips an identity', () => {
    const identity = { family: 'postgresql', host: 'db.internal', port: 5432, username: 'app' };
    expect(parsePhysicalId(physicalIdOf(identity))).toEqual(identity);
  });

  it('tells a failed Create apart from a user', () => {
    expect(isFailedCreateId(failedCreateId('r1'))).toBe(true);
    expect(parsePhysicalId(failedCreateId('r1'))).toBeUndefined();
  });
});

describe('parseProperties', () => {
  it('names missing and unknown properties without echoing values', () => {
    expect(() => parseProperties({ Username: "x'; DROP ROLE postgres; --", Bogus: 'secret-value' })).toThrow(
      /MasterSecretArn is required; unknown property Bogus/,
    );
    expect(() => parseProperties({ Username: 'u', Bogus: 'secret-value' })).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/unknown property Bogus/),
        stack: expect.not.stringContaining('secret-value'),
      }),
    );
  });

  it('reads CloudFormation strings as numbers and booleans', () => {
    const props = parseProperties({
      MasterSecretArn: 'arn',
      Username: 'u',
      Port: '5432',
      DropOwnedObjects: 'true',
    });
    expect(props.Port).toBe(5432);
    expect(props.DropOwnedObjects).toBe(true);
    expect(props.Grants).toBe('readonly');
  });
});
