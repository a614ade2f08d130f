import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { makeHandler, type RotateDeps } from '../../../handlers/rotate';
import { runLocalRotation, type LocalRotationOptions } from '../../../lib/rotation/local-rotation';
import type { RotationEvent } from '../../../lib/rotation/event';
import { parseAppSecret, type AppSecretValue } from '../../../lib/secrets/secret-value';
import { VersionCache } from '../../../lib/secrets/version-cache';
import { secretStore, secretsClient, putMaster, putSecret } from './aws';
import { testDeps } from './deps';
import { databaseOf, postgres, type TestDatabase, type TestMaster } from './databases';
import { uniqueSuffix } from './postgres';

/**
 * The rotation function's dependencies: real clients pointed at the local services, and, as a
 * deployed function has, a cache of version values (`versionCache: false`: each step reads all).
 */
export function rotateDeps(
  options: { busName?: string; env?: NodeJS.ProcessEnv; versionCache?: false } = {},
): RotateDeps {
  const { versionCache, ...rest } = options;
  return { ...testDeps(rest), versionCache: versionCache === false ? undefined : new VersionCache() };
}

export const rotateHandler = (deps: RotateDeps = rotateDeps()) => makeHandler(deps);

/** Runs steps of one rotation as Secrets Manager would; all four unless `options.steps`. */
export function rotate(
  secretArn: string,
  options: LocalRotationOptions & {
    handler?: (event: RotationEvent) => ReturnType<ReturnType<typeof makeHandler>>;
  } = {},
) {
  const handler = options.handler ?? rotateHandler();
  return runLocalRotation(handler, secretStore(), secretArn, options);
}

export interface AppUser {
  secretArn: string;
  username: string;
  password: string;
}

/**
 * A user the master made by hand (PostgreSQL: CONNECT, USAGE on `public`, SELECT on the
 * master's table `items`; MySQL: SELECT on the database), its secret in the design's JSON,
 * and rotation turned on. On PostgreSQL unless `options.db` names another test database.
 */
export async function createRotatableUser(
  master: TestMaster,
  options: {
    strategy: 'single' | 'alternating';
    grants?: string;
    withMaster?: boolean;
    ssl?: boolean | 'require' | 'verify-full';
    db?: TestDatabase;
    username?: string;
    /** The engine/host/database tags dbauth writes on its secrets (events read them); default on. */
    metadataTags?: boolean;
    /** Where both secrets say the server listens (a proxy in front of it); the server's own port by default. */
    port?: number;
  },
): Promise<AppUser> {
  const db = options.db ?? postgres;
  const username = options.username ?? `app_${uniqueSuffix()}`;
  const password = `app-pw-${randomBytes(12).toString('hex')}`;
  const port = options.port ?? db.port;
  const masterArn = await putMaster({ ...db.masterSecretValue(master), port });
  await db.createHandMadeUser(master, username, password);
  const secretArn = await putSecret(
    {
      engine: db.engine,
      host: db.host,
      port,
      username,
      password,
      dbname: master.database,
      masterarn: options.withMaster === false ? undefined : masterArn,
      ssl: options.ssl,
    },
    {
      'dbauth:managed-by': 'test',
      'dbauth:strategy': options.strategy,
      'dbauth:user': username,
      'dbauth:grants': options.grants ?? 'readonly',
      'dbauth:schemas': 'public',
      ...(options.metadataTags === false
        ? {}
        : { 'dbauth:engine': db.engine, 'dbauth:host': db.host, 'dbauth:database': master.database }),
    },
  );
  await enableRotation(secretArn);
  return { secretArn, username, password };
}

/**
 * Turns rotation on. Without a Lambda ARN moto only records the schedule (and copies the
 * value to a new AWSCURRENT version); AWS would require a function and rotate at once.
 */
export async function enableRotation(secretArn: string): Promise<void> {
  await secretsClient().send(
    new RotateSecretCommand({
      SecretId: secretArn,
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately: false,
    }),
  );
}

export async function secretAt(secretArn: string, stage: string): Promise<AppSecretValue> {
  return parseAppSecret(secretArn, await secretStore().getString(secretArn, { stage }));
}

/** Whether a version of the secret logs in to its database right now (on the server its engine names). */
export async function logsIn(value: AppSecretValue, database: string): Promise<boolean> {
  const login = { user: value.username, password: value.password.reveal(), database };
  return (await databaseOf(value.engine).tryAs(login, 'SELECT 1')) === 'ok';
}
