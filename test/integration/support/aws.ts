import {
  SecretsManagerClient,
  CreateSecretCommand,
  ListSecretsCommand,
} from '@aws-sdk/client-secrets-manager';
import { RDSClient } from '@aws-sdk/client-rds';
import { commonConfig, makeSecretsManagerClient } from '../../../lib/aws/clients';
import { generatedPasswords } from './capture';
import { SecretStore } from '../../../lib/secrets/secret-store';
import { testEnv } from './env';
import { uniqueSuffix } from './postgres';

const options = { endpoint: testEnv.aws.endpoint, region: testEnv.aws.region };

export const secretsClient = (): SecretsManagerClient => makeSecretsManagerClient(options);
export const rdsClient = (): RDSClient => new RDSClient(commonConfig(options));
/** An RDS client at `endpoint`, trying once: one pointed nowhere proves no lookup was made. */
/** A SecretStore on moto that records every password it has Secrets Manager generate. */
export function secretStore(client = secretsClient()): SecretStore {
  const store = new SecretStore(client);
  const generate = store.randomPassword.bind(store);
  store.randomPassword = async (policy) => {
    const password = await generate(policy);
    generatedPasswords.add(password.reveal());
    return password;
  };
  return store;
}

/** Stores a secret in moto and returns its ARN. */
export async function putSecret(
  value: Record<string, unknown>,
  tags: Record<string, string> = {},
  name?: string,
): Promise<string> {
  const out = await secretsClient().send(
    new CreateSecretCommand({
      Name: name ?? `test/${uniqueSuffix()}`,
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
        ...(prefix ? { Filters: [{ Key: 'name', Values: [prefix] }] } : {}),
      }),
    );
    names.push(...(out.SecretList ?? []).map((s) => s.Name ?? ''));
    NextToken = out.NextToken;
  } while (NextToken);
  // The name filter matches words as well as prefixes: keep the prefixes.
  return names.filter((name) => !prefix || name.startsWith(prefix)).sort();
}
