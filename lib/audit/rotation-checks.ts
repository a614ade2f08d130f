import type { SecretDescription } from '../secrets/secret-description';
import { AWSCURRENT, AWSPENDING } from '../secrets/stages';
import { MANAGED_BY_TAGS, TAGS } from '../secrets/tags';
import type { Finding } from './types';

/**
 * What rotation a managed secret declares: `off`, every so many days, a schedule expression,
 * or `unknown` (an older stack secret with rotation attached and no `dbauth:rotation` tag).
 */
export type DeclaredRotation = 'off' | { days: number } | { schedule: string } | 'unknown';

/** An AWSPENDING on a version of its own, and what it holds: a copy of another version, or not. */
export interface PendingVersion {
  versionId: string;
  /** The version's CreatedDate (GetSecretValue's; ListSecretVersionIds' is not to be trusted on moto). */
  createdDate?: Date;
  holds: 'copy' | 'own-password' | 'nothing';
}

export interface RotationCheckInput {
  description: SecretDescription;
  /** Where the secret's user is, for the findings. */
  where: Pick<Finding, 'engine' | 'host' | 'port' | 'user' | 'database'>;
  now: Date;
  /** This deployment's rotation function (`DBAUTH_ROTATION_FUNCTION_ARN`); none: not checked. */
  ourFunctionArn?: string;
  defaultSchedule: string;
  overdueGraceMs: number;
  pendingGraceMs: number;
  pending?: PendingVersion;
}

const MINUTE = 60_000;
const UNIT_MS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 24 * 60 * MINUTE };

/** A date as findings and tables show it: UTC, to the minute (no seconds, so it stays stable). */
export const minuteOf = (date: Date) => `${date.toISOString().slice(0, 16)}Z`;

/** The rotation a secret's tags declare; see `DeclaredRotation`. */
export function declaredRotation(description: SecretDescription, defaultSchedule: string): DeclaredRotation {
  const tag = description.tags[TAGS.rotation]?.trim();
  const parse = (value: string): DeclaredRotation | undefined => {
    if (value === 'off') return 'off';
    if (/^\d+$/.test(value) && Number(value) >= 1) return { days: Number(value) };
    if (/^(rate|cron)\(.+\)$/.test(value)) return { schedule: value };
    if (value === 'schedule') return { schedule: description.rotationSchedule ?? '' };
    return undefined;
  };
  if (tag) return parse(tag) ?? 'unknown';
  // The tag path's default; a stack secret made before the tag existed: rotation iff attached.
  if (description.tags[TAGS.managedBy] === MANAGED_BY_TAGS) return parse(defaultSchedule) ?? 'unknown';
  return description.rotationLambdaArn ? 'unknown' : 'off';
}

/** The interval of `rate(n unit)`, or of a number of days; undefined for cron or nothing. */
export function intervalMs(schedule: string | undefined): number | undefined {
  if (!schedule) return undefined;
  if (/^\d+$/.test(schedule)) return Number(schedule) * UNIT_MS.day!;
  const rate = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/.exec(schedule.trim());
  return rate ? Number(rate[1]) * UNIT_MS[rate[2]!]! : undefined;
}

/** The schedule to compute with: the declared one, else the rules Secrets Manager holds. */
const scheduleOf = (declared: DeclaredRotation, description: SecretDescription): string | undefined =>
  typeof declared === 'object'
    ? 'days' in declared
      ? String(declared.days)
      : declared.schedule || description.rotationSchedule
    : description.rotationSchedule;

/** The version AWSPENDING is on, when that is not AWSCURRENT's (an unfinished rotation, maybe). */
export function pendingVersionIdOf(description: SecretDescription): string | undefined {
  const entry = Object.entries(description.versions).find(
    ([, stages]) => stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT),
  );
  return entry?.[0];
}

/** Whether an AWSPENDING is a rotation under way now: its own password, younger than the grace. */
export function isRotating(pending: PendingVersion | undefined, now: Date, graceMs: number): boolean {
  if (!pending || pending.holds !== 'own-password' || !pending.createdDate) return false;
  return now.getTime() - pending.createdDate.getTime() < graceMs;
}

/**
 * Rotation findings of one secret, from its description alone (and its pending version, read
 * by the caller): disabled, someone else's function, overdue past the grace, stuck pending.
 */
export function rotationFindings(input: RotationCheckInput): Finding[] {
  const { description } = input;
  const declared = declaredRotation(description, input.defaultSchedule);
  const base = { ...input.where, secretArn: description.arn, login: 'user' as const };
  const findings: Finding[] = [];
  const attached = description.rotationEnabled && description.rotationLambdaArn !== undefined;
  if (declared !== 'off' && !attached) {
    findings.push({
      ...base,
      kind: 'rotation-disabled',
      expected: ['rotation enabled'],
      found: [description.rotationLambdaArn ? 'rotation disabled' : 'no rotation function'],
      note: "turn rotation back on: the stack or the secret's tags declare it (an Update or a tag change attaches it)",
    });
  }
  // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]: the qualifier does not count.
  const theirs = description.rotationLambdaArn?.split(':').slice(0, 7).join(':');
  if (input.ourFunctionArn && theirs && theirs !== input.ourFunctionArn) {
    findings.push({
      ...base,
      kind: 'rotation-foreign-function',
      expected: [input.ourFunctionArn],
      found: [theirs],
    });
  }
  if (declared !== 'off' && attached) findings.push(...overdue(input, declared, base));
  const stuck = stuckPending(input, base);
  if (stuck) findings.push(stuck);
  return findings;
}

function overdue(input: RotationCheckInput, declared: DeclaredRotation, base: Partial<Finding>): Finding[] {
  const { description, now } = input;
  let due = description.nextRotationDate;
  if (!due) {
    const interval = intervalMs(scheduleOf(declared, description));
    const since = description.lastRotatedDate ?? description.createdDate;
    if (interval === undefined || !since) return [];
    due = new Date(since.getTime() + interval);
  }
  if (now.getTime() <= due.getTime() + input.overdueGraceMs) return [];
  const last = description.lastRotatedDate;
  const daysLate = Math.floor((now.getTime() - due.getTime()) / UNIT_MS.day!);
  return [
    {
      ...(base as Finding),
      kind: 'rotation-overdue',
      expected: [`rotated by ${minuteOf(due)}`],
      found: [last ? `last rotated ${minuteOf(last)}` : 'never rotated'],
      note: `${daysLate} day(s) late; see the Rotation Failed events, or rotate now (npm run rotate)`,
    },
  ];
}

function stuckPending(input: RotationCheckInput, base: Partial<Finding>): Finding | undefined {
  const { pending, now, description } = input;
  if (!pending || pending.holds === 'copy') return undefined;
  const since = pending.createdDate ?? description.lastChangedDate;
  if (since && now.getTime() - since.getTime() < input.pendingGraceMs) return undefined;
  return {
    ...(base as Finding),
    kind: 'rotation-pending',
    expected: ['no unfinished rotation'],
    found: [`AWSPENDING on version ${pending.versionId}${pending.holds === 'nothing' ? ' (no value)' : ''}`],
    note: `${since ? `staged ${minuteOf(since)}; ` : ''}finish it with npm run rotate -- --secret-id ${description.arn} --token ${pending.versionId}, or remove the stage`,
  };
}

/**
 * The next rotation as a table shows it: NextRotationDate's day, else `~` and the day computed
 * from the declared interval, `off` when rotation is off; undefined when it cannot be said (cron).
 */
export function nextRotationOf(description: SecretDescription, defaultSchedule: string): string | undefined {
  const declared = declaredRotation(description, defaultSchedule);
  if (declared === 'off' || !description.rotationEnabled) return 'off';
  if (description.nextRotationDate) return description.nextRotationDate.toISOString().slice(0, 10);
  const interval = intervalMs(scheduleOf(declared, description));
  const since = description.lastRotatedDate ?? description.createdDate;
  if (interval === undefined || !since) return undefined;
  return `~${new Date(since.getTime() + interval).toISOString().slice(0, 10)}`;
}
