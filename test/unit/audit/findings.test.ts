import { countByKind, findingId, fingerprint, MAX_LISTED, truncated } from '../../../lib/audit/findings';
import { finding } from './fixtures';

describe('finding identity', () => {
  it('gives the same id to the same kind, secret and login, whatever was found', () => {
    expect(findingId(finding())).toBe(findingId(finding({ found: ['DELETE on public.x'], note: 'other' })));
    expect(findingId(finding())).toMatch(/^[0-9a-f]{16}$/);
    expect(findingId(finding({ login: 'clone' }))).not.toBe(findingId(finding()));
    expect(findingId(finding({ kind: 'grant-missing' }))).not.toBe(findingId(finding()));
  });

  it('names a server-wide finding by its server', () => {
    const here = finding({ kind: 'server-unreachable', secretArn: undefined, login: undefined });
    expect(findingId(here)).toBe(findingId({ ...here, host: 'DB-1.EXAMPLE' }));
    expect(findingId(here)).not.toBe(findingId({ ...here, port: 5433 }));
  });

  it('fingerprints the sorted lists only: order, duplicates and notes do not change it', () => {
    const a = finding({ found: ['b', 'a', 'a'], note: 'one' });
    const b = finding({ found: ['a', 'b'], note: 'two' });
    expect(fingerprint(a)).toBe(fingerprint(b));
    expect(fingerprint(finding({ found: ['a', 'c'] }))).not.toBe(fingerprint(b));
  });

  it('lists at most 50 entries and says when it cut', () => {
    const many = Array.from({ length: 60 }, (_, i) => `SELECT on public.t${String(i).padStart(2, '0')}`);
    expect(truncated(many)).toEqual({ items: many.slice(0, MAX_LISTED), truncated: true });
    expect(truncated(['b', 'a'])).toEqual({ items: ['a', 'b'], truncated: false });
  });

  it('counts by kind', () => {
    expect(countByKind([finding(), finding(), finding({ kind: 'user-missing' })])).toEqual({
      'grant-extra': 2,
      'user-missing': 1,
    });
  });
});
