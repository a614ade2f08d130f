import {
  declaredRotation,
  intervalMs,
  isRotating,
  nextRotationOf,
  pendingVersionIdOf,
  rotationFindings,
  type RotationCheckInput,
} from '../../../lib/audit/rotation-checks';
import { fingerprint } from '../../../lib/audit/findings';
import { DAY, OUR_FUNCTION, WHERE, described } from './fixtures';

const input = (overrides: Partial<RotationCheckInput> = {}): RotationCheckInput => ({
  description: described(),
  where: WHERE,
  now: new Date('2026-11-15T00:00:00Z'),
  ourFunctionArn: OUR_FUNCTION,
  defaultSchedule: 'rate(30 days)',
  overdueGraceMs: DAY,
  pendingGraceMs: 3_600_000,
  ...overrides,
});
const kinds = (i: RotationCheckInput) => rotationFindings(i).map((f) => f.kind);

describe('rotation checks', () => {
  it('finds nothing on a secret rotated by our function on schedule', () => {
    expect(rotationFindings(input())).toEqual([]);
  });

  it('reports rotation that is declared but disabled, or attached to no function', () => {
    expect(kinds(input({ description: described({ rotationEnabled: false }) }))).toEqual([
      'rotation-disabled',
    ]);
    const noFunction = rotationFindings(
      input({ description: described({ rotationEnabled: false, rotationLambdaArn: undefined }) }),
    );
    expect(noFunction.map((f) => [f.kind, f.found])).toEqual([
      ['rotation-disabled', ['no rotation function']],
    ]);
  });

  it('says nothing when rotation is declared off and is off', () => {
    const off = described({
      rotationEnabled: false,
      rotationLambdaArn: undefined,
      tags: { 'dbauth:rotation': 'off' },
    });
    expect(rotationFindings(input({ description: off }))).toEqual([]);
  });

  it('reports another function, ignoring a version or alias qualifier on ours', () => {
    const theirs =
      'arn:aws:lambda:us-east-1:123456789012:function:SecretsManagerRDSPostgreSQLRotationSingleUser';
    expect(rotationFindings(input({ description: described({ rotationLambdaArn: theirs }) }))).toEqual([
      expect.objectContaining({
        kind: 'rotation-foreign-function',
        expected: [OUR_FUNCTION],
        found: [theirs],
      }),
    ]);
    expect(kinds(input({ description: described({ rotationLambdaArn: `${OUR_FUNCTION}:live` }) }))).toEqual(
      [],
    );
  });

  it('is overdue only past the interval plus the grace, from the last rotation', () => {
    const last = new Date('2026-11-01T00:00:00Z');
    const at = (days: number) => input({ now: new Date(last.getTime() + days * DAY) });
    expect(kinds(at(30.9))).toEqual([]);
    expect(kinds(at(31.1))).toEqual(['rotation-overdue']);
    expect(rotationFindings(at(31.1))[0]).toMatchObject({
      expected: ['rotated by 2026-12-01T00:00Z'],
      found: ['last rotated 2026-11-01T00:00Z'],
    });
  });

  it('keeps the same fingerprint on every later day an overdue rotation stays undone', () => {
    const day40 = rotationFindings(input({ now: new Date('2026-12-10T00:00:00Z') }))[0]!;
    const day50 = rotationFindings(input({ now: new Date('2026-12-20T00:00:00Z') }))[0]!;
    expect(fingerprint(day40)).toBe(fingerprint(day50));
    expect(day40.note).not.toBe(day50.note);
  });

  it('takes NextRotationDate when Secrets Manager gives one', () => {
    const description = described({ nextRotationDate: new Date('2026-11-10T00:00:00Z') });
    expect(kinds(input({ description, now: new Date('2026-11-10T23:00:00Z') }))).toEqual([]);
    expect(kinds(input({ description, now: new Date('2026-11-11T01:00:00Z') }))).toEqual([
      'rotation-overdue',
    ]);
  });

  it('reads rate(n days|hours) and days, and leaves cron without NextRotationDate unchecked', () => {
    expect(intervalMs('rate(7 days)')).toBe(7 * DAY);
    expect(intervalMs('rate(1 day)')).toBe(DAY);
    expect(intervalMs('rate(12 hours)')).toBe(DAY / 2);
    expect(intervalMs('45')).toBe(45 * DAY);
    expect(intervalMs('cron(0 4 1 * ? *)')).toBeUndefined();
    const cron = described({
      tags: { 'dbauth:rotation': 'schedule' },
      rotationSchedule: 'cron(0 4 1 * ? *)',
    });
    expect(kinds(input({ description: cron, now: new Date('2027-06-01T00:00:00Z') }))).toEqual([]);
  });

  it('declares rotation from dbauth:rotation, the tag path default, or (older stack secrets) the attached function', () => {
    expect(declaredRotation(described({ tags: { 'dbauth:rotation': '7' } }), 'rate(30 days)')).toEqual({
      days: 7,
    });
    expect(declaredRotation(described({ tags: { 'dbauth:rotation': 'off' } }), 'rate(30 days)')).toBe('off');
    expect(declaredRotation(described({ tags: { 'dbauth:managed-by': 'tags' } }), 'rate(30 days)')).toEqual({
      schedule: 'rate(30 days)',
    });
    const stack = { 'dbauth:managed-by': 'cloudformation:stack/Orders' };
    expect(declaredRotation(described({ tags: stack }), 'rate(30 days)')).toBe('unknown');
    expect(declaredRotation(described({ tags: stack, rotationLambdaArn: undefined }), 'x')).toBe('off');
  });

  it('reports an AWSPENDING of its own older than the grace, never a copy of AWSCURRENT', () => {
    const description = described({ versions: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] } });
    expect(pendingVersionIdOf(description)).toBe('v2');
    const now = new Date('2026-11-15T00:00:00Z');
    const pending = (holds: 'own-password' | 'copy' | 'nothing', hoursAgo: number) => ({
      versionId: 'v2',
      holds,
      createdDate: new Date(now.getTime() - hoursAgo * 3_600_000),
    });
    expect(kinds(input({ description, now, pending: pending('own-password', 0.5) }))).toEqual([]);
    expect(isRotating(pending('own-password', 0.5), now, 3_600_000)).toBe(true);
    expect(rotationFindings(input({ description, now, pending: pending('own-password', 2) }))).toEqual([
      expect.objectContaining({ kind: 'rotation-pending', found: ['AWSPENDING on version v2'] }),
    ]);
    expect(kinds(input({ description, now, pending: pending('copy', 48) }))).toEqual([]);
    expect(isRotating(pending('copy', 0.1), now, 3_600_000)).toBe(false);
    expect(kinds(input({ description, now, pending: pending('nothing', 2) }))).toEqual(['rotation-pending']);
  });

  it('gives the next rotation as Secrets Manager says it, computed with ~, or off', () => {
    expect(nextRotationOf(described({ nextRotationDate: new Date('2026-12-01T04:00:00Z') }), 'x')).toBe(
      '2026-12-01',
    );
    expect(nextRotationOf(described(), 'x')).toBe('~2026-12-01');
    expect(nextRotationOf(described({ tags: { 'dbauth:rotation': 'off' } }), 'x')).toBe('off');
  });
});
