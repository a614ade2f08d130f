import { describeError } from '../errors';
import { SecretNotFoundError } from '../secrets/errors';
import type { SecretDescription } from '../secrets/secret-description';
import { parseAppSecret, type AppSecretValue } from '../secrets/secret-value';
import type { SecretVersion } from '../secrets/secret-version';
import { AWSCURRENT, AWSPREVIOUS } from '../secrets/stages';
import { TAGS } from '../secrets/tags';
import type { TlsDefaults } from '../users/database-server';
import { declarationOf } from './declaration';
import type { PendingVersion } from './rotation-checks';
import type { CountedSecretReads } from './secret-reads';
import type { AuditLogin, Declaration, Finding, ServerTarget } from './types';

/** One managed secret as the audit found it: always described; read and declared when it could be. */
export interface ManagedSecret {
  description: SecretDescription;
  value?: AppSecretValue;
  /** The AWSCURRENT version the value was read from. */
  current?: SecretVersion;
  declaration?: Declaration;
  /** Where its user is, for findings (from the value, else from the tags dbauth writes). */
  where: Pick<Finding, 'engine' | 'host' | 'port' | 'user' | 'database'>;
}

export interface Inventory {
  secrets: ManagedSecret[];
  targets: ServerTarget[];
  /** `secret-unreadable`, one per secret whose value or tags could not be read. */
  findings: Finding[];
  /** Things a person should know that are not drift (an unknown `dbauth:on-drift`, a secret not managed). */
  warnings: string[];
  /** The logins to try for a declaration: read lazily, once (see `ServerAuditInput.loginsOf`). */
  loginsOf(declaration: Declaration): Promise<AuditLogin[]>;
}

const BATCH = 20;

const versionWith = (description: SecretDescription, stage: string) =>
  Object.entries(description.versions).find(([, stages]) => stages.includes(stage))?.[0];

/** The managed secrets to audit: every one (under `namePrefix`), or those named. */
async function describeAll(
  reads: CountedSecretReads,
  options: { secretIds?: string[]; namePrefix?: string },
  warnings: string[],
): Promise<SecretDescription[]> {
  if (!options.secretIds) return reads.listManaged(options.namePrefix);
  const found: SecretDescription[] = [];
  for (const id of options.secretIds) {
    const description = await reads.describe(id);
    if (!description) warnings.push(`secret ${id} was not found`);
    else if (description.tags[TAGS.managedBy] === undefined)
      warnings.push(`secret ${id} is not managed by dbauth (no ${TAGS.managedBy} tag): not audited`);
    else found.push(description);
  }
  return found;
}

/** AWSCURRENT of each secret: in batches of 20, trusting only the version ListSecrets called current. */
async function readCurrents(
  reads: CountedSecretReads,
  descriptions: SecretDescription[],
): Promise<Map<string, SecretVersion | Error>> {
  const currents = new Map<string, SecretVersion | Error>();
  for (let i = 0; i < descriptions.length; i += BATCH) {
    const chunk = descriptions.slice(i, i + BATCH);
    const batch = chunk.length > 1 ? await reads.getCurrentOfEach(chunk.map((d) => d.arn)) : [];
    for (const description of chunk) {
      const currentId = versionWith(description, AWSCURRENT);
      // moto's batch may answer a version the label left: such an answer is read again alone.
      const hit = batch.find((v) => v.arn === description.arn && v.versionId === currentId);
      currents.set(
        description.arn,
        hit ??
          (await reads
            .getVersion(description.arn, { stage: AWSCURRENT })
            .catch((error: unknown) => (error instanceof Error ? error : new Error('unreadable')))),
      );
    }
  }
  return currents;
}

function whereFromTags(description: SecretDescription): ManagedSecret['where'] {
  const { tags } = description;
  return {
    engine: tags[TAGS.engine] ?? 'unknown',
    host: (tags[TAGS.host] ?? '').toLowerCase(),
    port: 0,
    user: tags[TAGS.username] || undefined,
    database: tags[TAGS.database] || undefined,
  };
}

const unreadable = (description: SecretDescription, where: ManagedSecret['where'], why: string): Finding => ({
  ...where,
  kind: 'secret-unreadable',
  secretArn: description.arn,
  expected: ['a readable AWSCURRENT and tags dbauth reads'],
  found: ['unreadable'],
  note: why,
});

/**
 * Every managed secret (or the ones named), its AWSCURRENT value and its declaration, grouped
 * into the servers to visit: one target per engine, host, port and master.
 */
export async function takeInventory(
  reads: CountedSecretReads,
  options: { secretIds?: string[]; namePrefix?: string },
  tls: TlsDefaults,
): Promise<Inventory> {
  const warnings: string[] = [];
  const descriptions = await describeAll(reads, options, warnings);
  const currents = await readCurrents(reads, descriptions);
  const secrets: ManagedSecret[] = [];
  const findings: Finding[] = [];
  for (const description of descriptions) {
    const current = currents.get(description.arn);
    let where = whereFromTags(description);
    if (!current || current instanceof Error) {
      findings.push(unreadable(description, where, describeError(current ?? new Error('no AWSCURRENT'))));
      secrets.push({ description, where });
      continue;
    }
    let value: AppSecretValue;
    try {
      value = parseAppSecret(description.arn, current.secretString);
    } catch (error) {
      findings.push(unreadable(description, where, describeError(error)));
      secrets.push({ description, where });
      continue;
    }
    const declared = declarationOf(description, value, tls);
    where = { engine: value.engine, host: value.host.toLowerCase(), port: value.port };
    if ('problem' in declared) {
      findings.push(unreadable(description, { ...where, user: value.username }, declared.problem));
      secrets.push({ description, where, value, current });
      continue;
    }
    if (declared.warning) warnings.push(declared.warning);
    const { declaration } = declared;
    secrets.push({
      description,
      value,
      current,
      declaration,
      where: { ...where, user: declaration.user, database: declaration.grants.database },
    });
  }
  return {
    secrets,
    targets: groupByServer(secrets),
    findings,
    warnings,
    loginsOf: loginReader(reads, secrets),
  };
}

/** The servers to visit: one per engine, host, port and master, each with its declarations. */
export function groupByServer(secrets: ManagedSecret[]): ServerTarget[] {
  const targets = new Map<string, ServerTarget>();
  for (const { declaration: d } of secrets) {
    if (!d) continue;
    const key = [d.engine, d.host, d.port, d.masterArn].join('|');
    const target = targets.get(key) ?? {
      engine: d.engine,
      host: d.host,
      port: d.port,
      masterArn: d.masterArn,
      declarations: [],
    };
    target.declarations.push(d);
    targets.set(key, target);
  }
  return [...targets.values()];
}

/** `loginsOf`: AWSCURRENT's login, and for alternating users AWSPREVIOUS when it names the other login. */
function loginReader(reads: CountedSecretReads, secrets: ManagedSecret[]) {
  const byArn = new Map(secrets.map((secret) => [secret.description.arn, secret]));
  const memo = new Map<string, Promise<AuditLogin[]>>();
  const read = async (declaration: Declaration): Promise<AuditLogin[]> => {
    const secret = byArn.get(declaration.secretArn);
    if (!secret?.value) return [];
    const logins: AuditLogin[] = [
      { stage: AWSCURRENT, username: secret.value.username, password: secret.value.password },
    ];
    if (declaration.strategy !== 'alternating' || !versionWith(secret.description, AWSPREVIOUS))
      return logins;
    const other = secret.value.username === declaration.user ? declaration.clone : declaration.user;
    try {
      const previous = await reads.getVersion(declaration.secretArn, { stage: AWSPREVIOUS });
      const value = parseAppSecret(declaration.secretArn, previous.secretString);
      if (value.username === other)
        logins.push({ stage: AWSPREVIOUS, username: value.username, password: value.password });
    } catch {
      // No readable previous version: the other login has not been made yet, or is not checked.
    }
    return logins;
  };
  return (declaration: Declaration): Promise<AuditLogin[]> => {
    let logins = memo.get(declaration.secretArn);
    if (!logins) memo.set(declaration.secretArn, (logins = read(declaration)));
    return logins;
  };
}

/**
 * The AWSPENDING of a secret on a version of its own, read to tell a copy from a password. A
 * copy of AWSCURRENT is what a RotateSecret that never reached createSecret leaves; moto's
 * RotateSecret (RotateImmediately false) stages a copy of an older version, AWSPREVIOUS's.
 * Neither stages a new password. Unknown (undefined) when it could not be read.
 */
export async function pendingOf(
  reads: CountedSecretReads,
  secret: ManagedSecret,
  versionId: string,
): Promise<PendingVersion | undefined> {
  const arn = secret.description.arn;
  try {
    const pending = await reads.getVersion(arn, { versionId });
    const value = pending.secretString.reveal();
    let copy = secret.current !== undefined && value === secret.current.secretString.reveal();
    if (!copy && versionWith(secret.description, AWSPREVIOUS)) {
      const previous = await reads.getVersion(arn, { stage: AWSPREVIOUS }).catch(() => undefined);
      copy = previous !== undefined && value === previous.secretString.reveal();
    }
    return {
      versionId,
      holds: copy ? 'copy' : 'own-password',
      createdDate: pending.createdDate,
    };
  } catch (error) {
    // A stage on a version without a value is stuck as much as one with a password; any other
    // error says nothing about the version, and the next run looks again.
    return error instanceof SecretNotFoundError ? { versionId, holds: 'nothing' } : undefined;
  }
}
