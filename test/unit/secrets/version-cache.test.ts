import { SecretString } from '../../../lib/secrets/secret-string';
import { VersionCache } from '../../../lib/secrets/version-cache';

describe('VersionCache', () => {
  let now = 0;
  const cache = () => new VersionCache(() => now);
  beforeEach(() => {
    now = 1_000_000;
  });

  it('gives back a value by secret and version, and nothing for another version or secret', () => {
    const versions = cache();
    versions.set('arn:a', 'v1', new SecretString('value-one'));
    expect(versions.get('arn:a', 'v1')?.reveal()).toBe('value-one');
    expect(versions.get('arn:a', 'v2')).toBeUndefined();
    expect(versions.get('arn:b', 'v1')).toBeUndefined();
  });

  it('forgets a value after five minutes', () => {
    const versions = cache();
    versions.set('arn:a', 'v1', new SecretString('value-one'));
    now += 5 * 60_000 - 1;
    expect(versions.get('arn:a', 'v1')).toBeDefined();
    now += 1;
    expect(versions.get('arn:a', 'v1')).toBeUndefined();
    expect(versions.size).toBe(0);
  });

  it('holds at most 32 values, dropping the oldest first', () => {
    const versions = cache();
    for (let n = 0; n < 40; n += 1) versions.set('arn:a', `v${n}`, new SecretString(`value-${n}`));
    expect(versions.size).toBe(32);
    expect(versions.get('arn:a', 'v7')).toBeUndefined();
    expect(versions.get('arn:a', 'v8')?.reveal()).toBe('value-8');
    expect(versions.get('arn:a', 'v39')?.reveal()).toBe('value-39');
  });
});
