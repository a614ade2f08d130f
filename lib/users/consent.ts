import { PRIVILEGES, type Privilege } from '../engines/engine';
import { InvalidInputError } from '../errors';
import type { SecretDescription } from '../secrets/secret-description';
import { MANAGED_BY_STACK, TAGS } from '../secrets/tags';
import { GRANT_PRESETS, privilegesOf, type GrantPreset } from './grants';
import { ConsentRefusedError } from './errors';

/**
 * What a master secret lends itself to, read from its own tags: the database's owner decides
 * who gets users on it, whoever may invoke dbauth or tag a secret. A tag that cannot be read
 * is refused, never read as a wider consent.
 */
export interface Consent {
  masterArn: string;
  /** The privileges a user may get at most, and how the tag said it (for messages). */
  maxPrivileges: Privilege[];
  maxGrantsLabel: string;
  /** Name prefixes of existing users dbauth may take over; none when the tag is absent. */
  adoptable: string[];
}

/** The master as `DescribeSecret` shows it: its ARN and tags, never its value. */
export type MasterTags = Pick<SecretDescription, 'arn' | 'tags'>;

const ENTRY = /^[\p{L}\p{N}_.:/=+\-@]+$/u;
const DEFAULT_MAX_GRANTS: GrantPreset = 'readonly';

/** The entries of a space-separated list tag; undefined when the tag is absent. */
function listTag(master: MasterTags, key: string, what: string): string[] | undefined {
  const value = master.tags[key];
  if (value === undefined) return undefined;
  const entries = value.trim().split(/\s+/).filter(Boolean);
  if (entries.length === 0 || !entries.every((entry) => ENTRY.test(entry))) {
    throw new InvalidInputError(
      `tag ${key} of master secret ${master.arn} is malformed: it must list ${what}, separated by spaces`,
    );
  }
  return entries;
}

function maxGrantsOf(master: MasterTags): { privileges: Privilege[]; label: string } {
  const value = master.tags[TAGS.maxGrants];
  if (value === undefined) return { privileges: privilegesOf(DEFAULT_MAX_GRANTS), label: DEFAULT_MAX_GRANTS };
  const words = value.trim().split(/\s+/).filter(Boolean);
  const [only] = words;
  if (words.length === 1 && only !== undefined && only in GRANT_PRESETS)
    return { privileges: privilegesOf(only as GrantPreset), label: only };
  const privileges = words.map((word) => word.toUpperCase());
  if (
    privileges.length === 0 ||
    !privileges.every((p): p is Privilege => (PRIVILEGES as readonly string[]).includes(p))
  ) {
    throw new InvalidInputError(
      `tag ${TAGS.maxGrants} of master secret ${master.arn} is malformed: it must be readonly, readwrite, owner or privileges separated by spaces (${PRIVILEGES.join(' ')})`,
    );
  }
  return { privileges: privilegesOf(privileges), label: privilegesOf(privileges).join(' ') };
}

function consentOf(master: MasterTags): Consent {
  const max = maxGrantsOf(master);
  return {
    masterArn: master.arn,
    maxPrivileges: max.privileges,
    maxGrantsLabel: max.label,
    adoptable: listTag(master, TAGS.allowAdopt, 'user-name prefixes') ?? [],
  };
}

const STACK_ARN =
  /^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:(\d{12}):stack\/([A-Za-z][A-Za-z0-9-]{0,127})\/[A-Za-z0-9-]+$/;

/**
 * The consent of a master to a stack's `Custom::DatabaseUser`, by the stack's name (nested
 * stacks are named after their root, so a root's prefix covers them). A stack of another
 * account is never consented: names are only unique within an account.
 */
export function consentForStack(master: MasterTags, stackId: string, accountId?: string): Consent {
  const match = STACK_ARN.exec(stackId);
  if (!match) throw new InvalidInputError("the request's StackId is not a CloudFormation stack ARN");
  const [, account = '', stackName = ''] = match;
  if (accountId && account !== accountId) {
    throw new ConsentRefusedError(
      `stack ${stackName} is in account ${account}, not in this function's account ${accountId}: dbauth serves stacks of its own account only`,
    );
  }
  const prefixes = listTag(master, TAGS.allowStacks, 'stack-name prefixes');
  if (!prefixes) {
    throw new ConsentRefusedError(
      `master secret ${master.arn} names no stack that may declare users through it: tag it ${TAGS.allowStacks} with the stack-name prefixes it serves (separated by spaces)`,
    );
  }
  if (!prefixes.some((prefix) => stackName.startsWith(prefix))) {
    throw new ConsentRefusedError(
      `master secret ${master.arn} does not serve stack ${stackName}: its tag ${TAGS.allowStacks} names no prefix of that name`,
    );
  }
  return consentOf(master);
}

/** The consent of a master to a secret that asks, by its tags, to become a user. */
export function consentForSecret(master: MasterTags, secretName: string): Consent {
  const prefixes = listTag(master, TAGS.allowSecrets, 'secret-name prefixes');
  if (!prefixes) {
    throw new ConsentRefusedError(
      `master secret ${master.arn} names no secret that may become a user through its tags: tag it ${TAGS.allowSecrets} with the secret-name prefixes it serves (separated by spaces)`,
    );
  }
  if (!prefixes.some((prefix) => secretName.startsWith(prefix))) {
    throw new ConsentRefusedError(
      `master secret ${master.arn} does not serve secret ${secretName}: its tag ${TAGS.allowSecrets} names no prefix of that name`,
    );
  }
  return consentOf(master);
}

/**
 * The consent of a master to act for a secret it rotates: by the stack that made the secret,
 * or by the secret's name (made by its tags, or by hand and given dbauth's rotation). The
 * master's consent may have been withdrawn since: then it no longer acts for the secret either.
 */
export function consentForRotatedSecret(
  master: MasterTags,
  secret: { name: string; tags: Record<string, string> },
  accountId?: string,
): Consent {
  const managedBy = secret.tags[TAGS.managedBy] ?? '';
  if (!managedBy.startsWith(MANAGED_BY_STACK)) return consentForSecret(master, secret.name);
  const stackId = managedBy.slice(MANAGED_BY_STACK.length, managedBy.lastIndexOf('/'));
  return consentForStack(master, stackId, accountId);
}

/** Refuses privileges beyond what the master lends (`dbauth:max-grants`). */
export function refuseStrongerGrants(consent: Consent, privileges: readonly Privilege[]): void {
  const beyond = privileges.filter((p) => !consent.maxPrivileges.includes(p));
  if (beyond.length > 0) {
    throw new ConsentRefusedError(
      `master secret ${consent.masterArn} lends at most ${consent.maxGrantsLabel} (tag ${TAGS.maxGrants}); ${beyond.join(', ')} asked beyond that`,
    );
  }
}

/** Refuses to take over an existing user the master does not name in `dbauth:allow-adopt`. */
export function refuseUnconsentedAdoption(consent: Consent, username: string): void {
  if (!consent.adoptable.some((prefix) => username.startsWith(prefix))) {
    throw new ConsentRefusedError(
      `user ${username} exists, and master secret ${consent.masterArn} does not let dbauth take it over: add a prefix of its name to the master's tag ${TAGS.allowAdopt}`,
    );
  }
}

/**
 * Refuses a secret dbauth would write outside its name prefix (`DBAUTH_SECRET_NAME_PREFIX`):
 * its roles may write only there, and this says so before any change rather than with an
 * AccessDenied half-way.
 */
export function refuseSecretOutsidePrefix(secretName: string, prefix: string, why: string): void {
  if (!secretName.startsWith(prefix)) {
    throw new InvalidInputError(
      `${why} ${secretName} is not under dbauth's secret name prefix ${prefix}: dbauth writes only secrets named ${prefix}...`,
    );
  }
}
