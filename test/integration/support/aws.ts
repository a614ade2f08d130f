import {
  SecretsManagerClient,
  CreateSecretCommand,
  ListSecretsCommand,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { RDSClient } from '@aws-sdk/client-rds';
import { commonConfig, makeSecretsManagerClient } from '../../../lib/aws/clients';
import { generatedPasswords, rememberSecretString } from './capture';
import { SecretStore } from '../../../lib/secrets/secret-store';
import { testEnv } from './env';
import { uniqueSuffix } from './postgres';

const options = { endpoint: testEnv.aws.endpoint, region: testEnv.aws.region };

export const secretsClient = (): SecretsManagerClient =>
  recordingSecretStrings(makeSecretsManagerClient(options));

/**
 * Has the client record (for the leak checks, support/capture.ts) every secret string it sends
 * or receives and every password Secrets Manager generates for it. Once per client.
 */
export function recordingSecretStrings(client: SecretsManagerClient): SecretsManagerClient {
  const name = 'dbauthTestRecordSecretStrings';
  if (client.middlewareStack.identify().some((entry) => entry.startsWith(name))) return client;
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { SecretString?: unknown };
      if (typeof input.SecretString === 'string') rememberSecretString(input.SecretString);
      const result = await next(args);
      const output = result.output as { SecretString?: unknown; RandomPassword?: unknown };
      if (typeof output.SecretString === 'string') rememberSecretString(output.SecretString);
      if (typeof output.RandomPassword === 'string') generatedPasswords.add(output.RandomPassword);
      return result;
    },
    { step: 'initialize', name },
  );
  return client;
}
export const rdsClient = (): RDSClient => new RDSClient(commonConfig(options));
/** An RDS client at `endpoint`, trying once: one pointed nowhere proves no lookup was made. */
export const rdsClientAt = (endpoint: string): RDSClient =>
  new RDSClient(
    commonConfig({ endpoint, region: testEnv.aws.region, maxAttempts: 1, connectionTimeoutMs: 500 }),
  );
/** A SecretStore on moto that records every password it has Secrets Manager generate. */
export function secretStore(client = secretsClient()): SecretStore {
  const store = new SecretStore(recordingSecretStrings(client));
  const generate = store.randomPassword.bind(store);
  store.randomPassword = async (policy) => {
    const password = await generate(policy);
    generatedPasswords.add(password.reveal());
    return password;
  };
  return store;
}

/** Where the tests' tagged secrets live: under dbauth's prefix, and named by the test masters' consent. */
export const TEST_SECRET_PREFIX = 'dbauth/test/';
/** The stacks the test masters serve: the harness's, and the one of the fixtures. */
export const TEST_STACK_PREFIX = 'dbauth-test-';

/**
 * The consent tags of a test master: it serves the tests' stacks, their tagged secrets and the
 * secrets the rotation tests make by hand (`test/`), with any grant. It lets no existing user
 * be taken over: the tests that adopt say so themselves (adoptConsent).
 */
export const TEST_CONSENT: Readonly<Record<string, string>> = {
  'dbauth:allow-stacks': `${TEST_STACK_PREFIX} app-stack`,
  'dbauth:allow-secrets': `${TEST_SECRET_PREFIX} test/`,
  'dbauth:max-grants': 'owner',
};

/** The tests' consent, and the users whose names start with `prefix` may be taken over. */
export const adoptConsent = (prefix: string) => ({ ...TEST_CONSENT, 'dbauth:allow-adopt': prefix });

/** Tags a secret, as its owner would by hand (a master's consent, say). */
export async function tagSecret(secretId: string, tags: Record<string, string>): Promise<void> {
  await secretsClient().send(
    new TagResourceCommand({
      SecretId: secretId,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

/** Stores a master secret (by default with the tests' consent) and returns its ARN. */
export function putMaster(
  value: Record<string, unknown>,
  consent: Record<string, string> = { ...TEST_CONSENT },
): Promise<string> {
  return putSecret(value, consent);
}

/**
 * Stores a secret in moto and returns its ARN. One tagged for dbauth (`dbauth:master`) is
 * named under the tests' prefix, as dbauth writes only there; any other under `test/`.
 */
export async function putSecret(
  value: Record<string, unknown>,
  tags: Record<string, string> = {},
  name?: string,
): Promise<string> {
  const out = await secretsClient().send(
    new CreateSecretCommand({
      Name: name ?? `${'dbauth:master' in tags ? TEST_SECRET_PREFIX : 'test/'}${uniqueSuffix()}`,
      SecretString: JSON.stringify(value),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return out.ARN ?? '';
}

/**
 * Names of the secrets moto holds (deleted ones included) that start with `prefix`: "nothing
 * changed" checks compare these. Filtered by Secrets Manager, as moto holds every run's secrets.
 */
export async function allSecretNames(prefix?: string): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await secretsClient().send(
      new ListSecretsCommand({
        IncludePlannedDeletion: true,
        MaxResults: 100,
        NextToken,
        Filters: prefix ? [{ Key: 'name', Values: [prefix] }] : undefined,
      }),
    );
    names.push(...(out.SecretList ?? []).map((s) => s.Name ?? ''));
    NextToken = out.NextToken;
  } while (NextToken);
  // The name filter matches words as well as prefixes: keep the prefixes.
  return names.filter((name) => !prefix || name.startsWith(prefix)).sort();
}
