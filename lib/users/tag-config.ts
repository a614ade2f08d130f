import type { Privilege } from '../engines/engine';
import { InvalidInputError } from '../errors';
import { TAGS, type Strategy } from '../secrets/tags';
import { GRANT_PRESETS, grantsFromTag, schemasFromTag, tagList } from './grants';

/** What the `dbauth:*` tags of a secret ask for. */
export interface TagConfig {
  masterArn: string;
  grantsLabel: string;
  privileges: Privilege[];
  schemas: string[];
  database?: string;
  username?: string;
  strategy: Strategy;
  /** undefined: rotation off; otherwise a schedule expression or a number of days. */
  rotation?: { scheduleExpression: string } | { automaticallyAfterDays: number };
}

function rotationOf(value: string | undefined, defaultSchedule: string): TagConfig['rotation'] {
  const wanted = (value ?? defaultSchedule).trim();
  if (wanted === 'off') return undefined;
  if (/^\d+$/.test(wanted) && Number(wanted) >= 1 && Number(wanted) <= 1000)
    return { automaticallyAfterDays: Number(wanted) };
  if (/^(rate|cron)\(.+\)$/.test(wanted)) return { scheduleExpression: wanted };
  throw new InvalidInputError(
    `tag ${TAGS.rotation} must be off, a number of days (1-1000), rate(...) or cron(...)`,
  );
}

/** Reads the tags; undefined when the secret is not (or no longer) asking to be managed. */
export function tagConfigOf(tags: Record<string, string>, defaultSchedule: string): TagConfig | undefined {
  const masterArn = tags[TAGS.master]?.trim();
  if (!masterArn) return undefined;
  const asTagged = tags[TAGS.grants]?.trim() || 'readonly';
  const privileges = grantsFromTag(asTagged);
  if (!privileges) {
    throw new InvalidInputError(
      `tag ${TAGS.grants} must be readonly, readwrite, owner or privileges separated by spaces`,
    );
  }
  const strategy = tags[TAGS.strategy] ?? 'single';
  if (strategy !== 'single' && strategy !== 'alternating')
    throw new InvalidInputError(`tag ${TAGS.strategy} must be single or alternating`);
  const rotation = rotationOf(tags[TAGS.rotation], defaultSchedule);
  return {
    masterArn,
    // A preset as named; a list as dbauth writes lists (a tagged comma would not be accepted back).
    grantsLabel: asTagged in GRANT_PRESETS ? asTagged : tagList(privileges),
    privileges,
    schemas: schemasFromTag(tags[TAGS.schemas]),
    database: tags[TAGS.database] || undefined,
    username: tags[TAGS.username] || undefined,
    strategy,
    rotation,
  };
}

/**
 * The `dbauth:applied` value for what was granted, `<grants>/<schemas>` (neither holds a `/`):
 * the diff of the next change starts here.
 */
export const appliedTag = (config: TagConfig) => `${tagList(config.privileges)}/${tagList(config.schemas)}`;

export function parseAppliedTag(value: string | undefined): { privileges: Privilege[]; schemas: string[] } {
  // `|` separated them before tag values were held to AWS's characters.
  const [grants, schemas] = (value ?? '').split(/[/|]/);
  const privileges = grants ? grantsFromTag(grants) : undefined;
  return privileges && schemas !== undefined
    ? { privileges, schemas: schemasFromTag(schemas) }
    : { privileges: [], schemas: [] };
}
