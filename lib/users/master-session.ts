import type { RDSClient } from '@aws-sdk/client-rds';
import type { Endpoint, Engine, EngineSession, Timeouts } from '../engines/engine';
import { AuthenticationFailedError } from '../engines/errors';
import { DbauthError } from '../errors';
import type { SecretStore } from '../secrets/secret-store';
import { parseMasterSecret, type MasterSecretValue } from '../secrets/secret-value';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../secrets/stages';
import { resolveEndpoint, type EndpointOverrides, type TlsDefaults } from './endpoint';

export interface MasterDeps {
  store: SecretStore;
  rds: RDSClient;
  timeouts: Timeouts;
  tls: TlsDefaults;
}

/** A session logged in as the master user, and what was learned on the way. */
export interface MasterAccess {
  session: EngineSession;
  engine: Engine;
  endpoint: Endpoint;
  masterArn: string;
  masterUsername: string;
}

export class MasterAuthenticationError extends DbauthError {
  constructor(masterArn: string, tried: string[]) {
    super(`no version of master secret ${masterArn} (${tried.join(', ')}) logs in to the database`);
    this.name = 'MasterAuthenticationError';
  }
}

// The master secret may be mid-rotation: its AWSCURRENT may not have reached the database
// yet (try AWSPENDING) or a rotation may have failed half-way (try AWSPREVIOUS).
const STAGES_IN_ORDER = [AWSCURRENT, AWSPENDING, AWSPREVIOUS];

/**
 * Logs in as the master user, rotation-aware. The master password is read for this call
 * only and never kept.
 */
export async function connectAsMaster(
  deps: MasterDeps,
  masterSecretId: string,
  overrides: EndpointOverrides = {},
): Promise<MasterAccess> {
  const described = await deps.store.describe(masterSecretId);
  const stagesPresent = new Set(Object.values(described.versions).flat());
  const stages = STAGES_IN_ORDER.filter((stage) => stagesPresent.has(stage));
  let resolved: { endpoint: Endpoint; engine: Engine } | undefined;
  for (const stage of stages) {
    const value: MasterSecretValue = parseMasterSecret(
      described.arn,
      await deps.store.getString(described.arn, { stage }),
    );
    // Where the database is comes from the first version read; later ones only add passwords.
    resolved ??= await resolveEndpoint({ value, tags: described.tags }, overrides, deps);
    try {
      const session = await resolved.engine.connect(resolved.endpoint, value, deps.timeouts);
      return { session, ...resolved, masterArn: described.arn, masterUsername: value.username };
    } catch (error) {
      if (!(error instanceof AuthenticationFailedError)) throw error;
    }
  }
  throw new MasterAuthenticationError(described.arn, stages);
}
