import type { ServerAuditDeps } from '../../../lib/audit/server-audit';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CancelRotateSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditDeps, AuditServer } from '../../../lib/audit/run';
import { auditSettingsFromEnv } from '../../../lib/audit/settings';
import { DynamoDriftState } from '../../../lib/audit/state';
import type { Finding, ServerTarget } from '../../../lib/audit/types';
import { makeDynamoDbClient } from '../../../lib/aws/clients';
import { putMaster, putSecret, secretsClient } from './aws';
import { testDeps } from './deps';
import { testEnv } from './env';
import { uniqueSuffix } from './postgres';

const options = { endpoint: testEnv.aws.endpoint, region: testEnv.aws.region };

/** A state table of its own in moto's DynamoDB, as handlers/resources/audit.yml makes it. */
export async function auditTable(): Promise<string> {
  const TableName = `dbauth-test-audit-${uniqueSuffix()}`;
  await makeDynamoDbClient(options).send(
    new CreateTableCommand({
      TableName,
      AttributeDefinitions: [{ AttributeName: 'findingId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'findingId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return TableName;
}

export const driftState = (table: string) => new DynamoDriftState(makeDynamoDbClient(options), table);

/**
 * The audit's dependencies as a test builds them: moto for Secrets Manager, EventBridge and
 * DynamoDB, the secrets of one test under `prefix`, and a clock the test moves.
 */
export function auditDeps(
  prefix: string,
  table: string,
  rotationArn: string,
  extra: { busName?: string; clock?: () => Date; env?: NodeJS.ProcessEnv } = {},
): AuditDeps & ServerAuditDeps {
  return {
    ...testDeps({ busName: extra.busName, env: { DBAUTH_ROTATION_FUNCTION_ARN: rotationArn, ...extra.env } }),
    secretNamePrefix: prefix,
    audit: auditSettingsFromEnv(extra.env ?? {}),
    driftState: driftState(table),
    clock: extra.clock,
  };
}

/** What a test's per-server audit saw: the targets, and the logins it read (never a password). */
export interface SeenServers {
  targets: ServerTarget[];
  logins: Record<string, string[]>;
}

/**
 * A per-server audit that checks nothing on a database: it reads each declaration's logins
 * (through `loginsOf`, as the real one does) and reports every secret checked.
 */
export function loginReadingServers(seen: SeenServers, delayMs = 0): AuditServer {
  return async ({ target, loginsOf }) => {
    seen.targets.push(target);
    // Unref'd: a run that gave up at its deadline leaves this timer behind, and jest must still exit.
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    for (const declaration of target.declarations) {
      const logins = await loginsOf(declaration);
      seen.logins[declaration.secretArn] = logins.map((login) => `${login.stage}:${login.username}`);
    }
    return {
      findings: [],
      checked: target.declarations.map((d) => d.secretArn),
      unchecked: [],
      peakConnections: 1,
    };
  };
}

export const newSeen = (): SeenServers => ({ targets: [], logins: {} });

const masters = new Map<string, Promise<string>>();

/**
 * A master secret in moto, one per `name` and test file, that consents to the tests' secrets
 * (the audit checks a master's consent before it uses it). No server is behind it: the suites
 * that use it give the audit a per-server function that visits none.
 */
export function consentingMaster(name = 'main'): Promise<string> {
  let arn = masters.get(name);
  if (!arn) {
    arn = putMaster({
      engine: 'postgres',
      host: 'db-1.test',
      port: 5432,
      username: `master_${name}`,
      password: `audit-master-${randomBytes(12).toString('hex')}`,
    });
    masters.set(name, arn);
  }
  return arn;
}

export interface ManagedTestSecret {
  arn: string;
  username: string;
  password: string;
}

/**
 * A secret as dbauth's tag path leaves it: managed, its value complete, rotation attached with
 * `rotationArn` every 30 days (moto then stages a copy of AWSCURRENT as AWSPENDING).
 */
export async function managedSecret(
  prefix: string,
  rotationArn: string | undefined,
  options: {
    strategy?: 'single' | 'alternating';
    host?: string;
    master?: string;
    tags?: Record<string, string>;
  } = {},
): Promise<ManagedTestSecret> {
  const username = `app_${uniqueSuffix()}`;
  const password = `audit-pw-${randomBytes(12).toString('hex')}`;
  const arn = await putSecret(
    {
      engine: 'postgres',
      host: options.host ?? 'db-1.test',
      port: 5432,
      username,
      password,
      dbname: 'app',
      masterarn: options.master ?? (await consentingMaster()),
    },
    {
      'dbauth:managed-by': 'tags',
      'dbauth:strategy': options.strategy ?? 'single',
      'dbauth:user': username,
      'dbauth:grants': 'readonly',
      'dbauth:rotation': '30',
      ...options.tags,
    },
    `${prefix}${username}`,
  );
  if (rotationArn) await attachRotation(arn, rotationArn);
  return { arn, username, password };
}

export async function attachRotation(arn: string, rotationArn: string): Promise<void> {
  await secretsClient().send(
    new RotateSecretCommand({
      SecretId: arn,
      RotationLambdaARN: rotationArn,
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately: false,
    }),
  );
}

export async function cancelRotation(arn: string): Promise<void> {
  await secretsClient().send(new CancelRotateSecretCommand({ SecretId: arn }));
}

/** Puts a version of `value` under `stages` (AWSCURRENT moves AWSCURRENT, AWSPREVIOUS follows). */
export async function putVersion(
  arn: string,
  value: Record<string, unknown>,
  stages: string[],
): Promise<string> {
  const token = randomUUID();
  await secretsClient().send(
    new PutSecretValueCommand({
      SecretId: arn,
      SecretString: JSON.stringify(value),
      ClientRequestToken: token,
      VersionStages: stages,
    }),
  );
  return token;
}

/**
 * A per-server audit that reports what the test says the database shows: `findingsOf(target)`
 * for each server, and the secrets in `unreachable` as not checked. It connects nowhere.
 */
export function reportingServers(
  findingsOf: (target: ServerTarget) => Finding[],
  unreachable: Set<string> = new Set(),
): AuditServer {
  return async ({ target }) => ({
    findings: findingsOf(target),
    checked: target.declarations.map((d) => d.secretArn).filter((arn) => !unreachable.has(arn)),
    unchecked: target.declarations
      .filter((d) => unreachable.has(d.secretArn))
      .map((d) => ({ secretArn: d.secretArn, reason: 'server-unreachable' })),
    peakConnections: 2,
  });
}
