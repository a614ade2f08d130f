import type { Deps } from '../deps';
import type { Endpoint, Engine, EngineSession } from '../engines/engine';
import { accountOf } from '../aws/arn';
import { InvalidInputError } from '../errors';
import { MasterAuthenticationError } from './errors';
import { SecretNotFoundError } from '../secrets/errors';
import type { SecretDescription } from '../secrets/secret-description';
import type { SecretVersion } from '../secrets/secret-version';
import { parseMasterSecret } from '../secrets/secret-value';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../secrets/stages';
import { tryLogin } from './login';
import { resolveDatabaseServer, type DatabaseServerOverrides } from './database-server';

/** What logging in as a master uses of `Deps`. */
export type MasterKeys = 'store' | 'rds' | 'timeouts' | 'tls' | 'mysqlUserHost' | 'accountId';

/** A session logged in as the master user, and what was learned on the way. */
export interface MasterAccess {
  session: EngineSession;
  engine: Engine;
  endpoint: Endpoint;
  masterArn: string;
  masterUsername: string;
}

// The master secret may be mid-rotation: its AWSCURRENT may not have reached the database
// yet (try AWSPENDING) or a rotation may have failed half-way (try AWSPREVIOUS).
const FALLBACK_STAGES = [AWSPENDING, AWSPREVIOUS];

/**
 * Refuses a master secret named by an ARN of another account than the function's, before
 * any lookup: a partial ARN of another account's secret would resolve by name in this one.
 */
export function refuseForeignMaster(masterSecretId: string, accountId: string | undefined): void {
  const account = accountOf(masterSecretId);
  if (accountId && account && account !== accountId) {
    throw new InvalidInputError(
      `master secret ${masterSecretId} is in account ${account}, not in this function's account ${accountId}: dbauth uses masters of its own account only`,
    );
  }
}

/**
 * The master secret's description (its tags: its consent), read before its value: a master
 * that does not consent is refused with nothing read beyond its tags.
 */
export async function describeMaster(
  deps: Pick<Deps, 'store' | 'accountId'>,
  masterSecretId: string,
): Promise<SecretDescription> {
  refuseForeignMaster(masterSecretId, deps.accountId);
  return deps.store.describe(masterSecretId);
}

/**
 * Logs in as the master user, rotation-aware. The master password is read for this call
 * only and never kept. The secret is described (tags for an RDS lookup, other versions) only
 * when the caller has not done so already and it is needed.
 */
export async function connectAsMaster(
  deps: Pick<Deps, MasterKeys>,
  masterSecretId: string,
  overrides: DatabaseServerOverrides = {},
  known: {
    /** The master's AWSCURRENT, when the caller read it already (in one call with others). */
    prefetched?: SecretVersion;
    /** The master's description, when the caller read it already (to check its consent). */
    described?: SecretDescription;
  } = {},
): Promise<MasterAccess> {
  refuseForeignMaster(masterSecretId, deps.accountId);
  const current =
    known.prefetched ??
    (await deps.store.getVersion(known.described?.arn ?? masterSecretId, { stage: AWSCURRENT }));
  const masterArn = current.arn;
  let described = known.described;
  const describe = async () => (described ??= await deps.store.describe(masterArn));
  const first = parseMasterSecret(masterArn, current.secretString);
  // Where the database is comes from AWSCURRENT; other versions only add passwords.
  const { endpoint, engine } = await resolveDatabaseServer(
    { value: first, tags: async () => (await describe()).tags },
    overrides,
    deps,
  );
  const attempt = async (value: typeof first): Promise<MasterAccess | undefined> => {
    const session = await tryLogin(engine, endpoint, value, deps.timeouts);
    return session && { session, engine, endpoint, masterArn, masterUsername: value.username };
  };
  const access = await attempt(first);
  if (access) return access;
  const tried = [AWSCURRENT];
  const stagesPresent = new Set(Object.values((await describe()).versions).flat());
  for (const stage of FALLBACK_STAGES.filter((s) => stagesPresent.has(s))) {
    tried.push(stage);
    // An AWSPENDING staged by Secrets Manager may have no value yet: go on to the next stage.
    const version = await deps.store.getString(masterArn, { stage }).catch((error: unknown) => {
      if (error instanceof SecretNotFoundError) return undefined;
      throw error;
    });
    if (!version) continue;
    const fallback = await attempt(parseMasterSecret(masterArn, version));
    if (fallback) return fallback;
  }
  // The master's own rotation may have finished while these were tried: AWSCURRENT once more.
  const now = await deps.store.getVersion(masterArn, { stage: AWSCURRENT });
  if (now.versionId !== current.versionId) {
    tried.push(`${AWSCURRENT} again`);
    const latest = await attempt(parseMasterSecret(masterArn, now.secretString));
    if (latest) return latest;
  }
  throw new MasterAuthenticationError(masterArn, tried);
}
