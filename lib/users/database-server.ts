import type { Deps } from '../deps';
import { lookUpRdsEndpoint } from '../aws/rds-endpoint';
import type { Endpoint, Engine, TlsMode } from '../engines/engine';
import { findEngine, type EngineName } from '../engines/registry';
import { InvalidInputError } from '../errors';
import { UnsupportedEngineError } from './errors';
import type { MasterSecretValue, SslSetting } from '../secrets/secret-value';

/** Endpoint fields a caller may set, overriding the master secret's. */
export interface DatabaseServerOverrides {
  engine?: string;
  host?: string;
  port?: number;
  database?: string;
  ssl?: SslSetting;
}

export interface TlsDefaults {
  mode: TlsMode;
  caBundlePath?: string;
}

/** `ssl: true` means "encrypt", at least: it keeps the default when that verifies too. */
export function tlsMode(ssl: SslSetting | undefined, defaults: TlsDefaults): TlsMode {
  if (ssl === undefined) return defaults.mode;
  if (ssl === false) return 'disable';
  if (ssl === true) return defaults.mode === 'verify-full' ? 'verify-full' : 'require';
  return ssl;
}

const TLS_STRENGTH: TlsMode[] = ['disable', 'require', 'verify-full'];
const strongest = (a: TlsMode, b: TlsMode): TlsMode =>
  TLS_STRENGTH.indexOf(a) >= TLS_STRENGTH.indexOf(b) ? a : b;

export function engineNamed(name: string): { name: EngineName; engine: Engine } {
  const engine = findEngine(name);
  if (!engine) throw new UnsupportedEngineError(name);
  return { name: name as EngineName, engine };
}

/**
 * Where the database is: overrides first, then the master secret, then (for an RDS-managed
 * master secret, which holds only username and password) the RDS API.
 */
export async function resolveDatabaseServer(
  master: { value: MasterSecretValue; tags: () => Promise<Record<string, string>> },
  overrides: DatabaseServerOverrides,
  deps: Pick<Deps, 'rds' | 'tls' | 'mysqlUserHost'>,
): Promise<{ endpoint: Endpoint; engine: Engine }> {
  // The master's own server: what its secret says, else what RDS says of an RDS-managed one.
  let ownEngine: string | undefined = master.value.engine;
  let { host: ownHost, port: ownPort } = master.value;
  if (!ownEngine || !ownHost || !ownPort) {
    const rds = await lookUpRdsEndpoint(deps.rds, await master.tags());
    ownEngine ??= rds?.engine;
    ownHost ??= rds?.host;
    ownPort ??= rds?.port;
  }
  // An override may only repeat the master's own server: otherwise whoever may use dbauth could
  // send any master password it can name to a server of its choosing.
  if (
    (overrides.host && ownHost && overrides.host.toLowerCase() !== ownHost.toLowerCase()) ||
    (overrides.port && ownPort && overrides.port !== ownPort)
  ) {
    throw new InvalidInputError(
      `Host/Port name another server than the master secret's (${ownHost}:${ownPort}); dbauth uses a master only on its own server`,
    );
  }
  const engineName = overrides.engine ?? ownEngine;
  const host = overrides.host ?? ownHost;
  const port = overrides.port ?? ownPort;
  if (!engineName || !host || !port) {
    throw new InvalidInputError(
      'the master secret does not say where the database is (engine, host, port) and no RDS tag names it: set Engine, Host and Port',
    );
  }
  const { name, engine } = engineNamed(engineName);
  const database = overrides.database ?? master.value.dbname ?? engine.defaultDatabase;
  engine.validateDatabaseName(database);
  // An override may ask for more TLS than the master secret, never for less: the master
  // password travels on this connection.
  const mode = strongest(
    tlsMode(overrides.ssl ?? master.value.ssl, deps.tls),
    master.value.ssl === undefined ? 'disable' : tlsMode(master.value.ssl, deps.tls),
  );
  return {
    engine,
    endpoint: {
      engine: name,
      host,
      port,
      database,
      tls: {
        mode,
        caBundlePath: deps.tls.caBundlePath,
      },
      userHost: deps.mysqlUserHost,
    },
  };
}
