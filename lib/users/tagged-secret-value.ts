import { createHash } from 'node:crypto';
import type { Deps } from '../deps';
import { InvalidInputError } from '../errors';
import { SecretNotFoundError, SecretsManagerCallError } from '../secrets/errors';
import type { Password } from '../secrets/password';
import { policyOf } from '../secrets/password-policy-tag';
import type { SecretDescription } from '../secrets/secret-description';
import {
  parsePartialSecret,
  serializeSecret,
  type AppSecretValue,
  type PartialSecretValue,
} from '../secrets/secret-value';
import { AWSCURRENT } from '../secrets/stages';
import { TAGS } from '../secrets/tags';
import type { MasterAccess } from './master-session';
import type { TagConfig } from './tag-config';

// What a secret tagged `dbauth:master` holds: the user it names, checked, and the full value.

/** The secret's AWSCURRENT as far as it goes; nothing when it has none yet. */
export async function readCurrent(
  secret: SecretDescription,
  deps: Pick<Deps, 'store'>,
): Promise<PartialSecretValue> {
  const hasCurrent = Object.values(secret.versions).some((stages) => stages.includes(AWSCURRENT));
  if (!hasCurrent) return {};
  try {
    return parsePartialSecret(secret.arn, await deps.store.getString(secret.arn, { stage: AWSCURRENT }));
  } catch (error) {
    if (error instanceof SecretNotFoundError) return {};
    throw error;
  }
}

/** The user's first login (`base`) and the login the secret holds now (the clone, after a turn). */
export interface UserNames {
  base: string;
  login: string;
  clone?: string;
}

export function checkedUser(
  secret: SecretDescription,
  config: TagConfig,
  stored: PartialSecretValue,
  master: MasterAccess,
): UserNames {
  const login = stored.username ?? config.username;
  if (!login) {
    throw new InvalidInputError(
      `secret ${secret.arn} names no user: put {"username": "..."} in it, or tag it ${TAGS.username}`,
    );
  }
  const base = config.username ?? login;
  const { engine, endpoint } = master;
  engine.validateUsername(base);
  engine.validateUsername(login);
  config.schemas.forEach((schema) => engine.validateSchemaName(schema));
  const clone = config.strategy === 'alternating' ? engine.cloneUsername(base) : undefined;
  if (login !== base && login !== clone)
    throw new InvalidInputError(`secret ${secret.arn} holds user ${login}, but is tagged for ${base}`);
  if ([base, login].includes(master.masterUsername))
    throw new InvalidInputError(`secret ${secret.arn} names the master user; dbauth will not manage it`);
  // A secret that names a server must name its master's: the master acts there only.
  if (
    stored.host &&
    (stored.host.toLowerCase() !== endpoint.host.toLowerCase() || stored.port !== endpoint.port)
  )
    throw new InvalidInputError(`secret ${secret.arn} names another database server than its master secret`);
  return { base, login, clone };
}

/**
 * Fills in what the secret lacks (the endpoint from the master, a new password). The version
 * token is derived from the version it replaces, so two racing events put one value: the
 * loser's put fails, and both then read back the winner's.
 */
export async function ensureFullValue(
  secret: SecretDescription,
  stored: PartialSecretValue,
  login: string,
  master: MasterAccess,
  deps: Pick<Deps, 'store' | 'passwordPolicy'>,
): Promise<AppSecretValue> {
  const { endpoint, masterArn } = master;
  const wanted = {
    ...stored,
    engine: stored.engine ?? endpoint.engine,
    host: endpoint.host,
    port: endpoint.port,
    username: login,
    dbname: endpoint.database,
    masterarn: masterArn,
  };
  if (
    stored.password &&
    Object.entries(wanted).every(([key, value]) => stored[key as keyof PartialSecretValue] === value)
  )
    return { ...wanted, password: stored.password };
  const password: Password =
    stored.password ?? (await deps.store.randomPassword(policyOf(secret.tags, deps.passwordPolicy)));
  const replaced =
    Object.entries(secret.versions).find(([, stages]) => stages.includes(AWSCURRENT))?.[0] ?? 'none';
  const token = createHash('sha256').update(`${secret.arn}|fill|${replaced}`).digest('hex').slice(0, 64);
  try {
    await deps.store.putString(secret.arn, serializeSecret({ ...wanted, password }), { token });
  } catch (error) {
    // The same token with another value: a racing event filled the secret first. Use its value.
    if (!(error instanceof SecretsManagerCallError && error.errorName === 'ResourceExistsException'))
      throw error;
  }
  const now = parsePartialSecret(secret.arn, await deps.store.getString(secret.arn, { versionId: token }));
  if (!now.password) throw new InvalidInputError(`secret ${secret.arn} has no password after it was filled`);
  return { ...wanted, password: now.password };
}
