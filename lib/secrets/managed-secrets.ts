import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describedSecret, type SecretDescription } from './secret-description';
import { callSecretsManager } from './secrets-manager-call';
import { TAGS } from './tags';

/**
 * Every secret dbauth manages (tagged `dbauth:managed-by`, not scheduled for deletion), as
 * ListSecrets describes it: tags, rotation settings and dates, and the versions' stages, so
 * no DescribeSecret is needed per secret. `namePrefix` keeps to the names under it (a prefix
 * match, as Secrets Manager's `name` filter is). ListSecrets may be a few minutes behind.
 */
export async function listManagedSecrets(
  client: SecretsManagerClient,
  options: { namePrefix?: string; onCall?: () => void } = {},
): Promise<SecretDescription[]> {
  const found: SecretDescription[] = [];
  let NextToken: string | undefined;
  do {
    options.onCall?.();
    const out = await callSecretsManager('ListSecrets', '-', () =>
      client.send(
        new ListSecretsCommand({
          Filters: [
            { Key: 'tag-key', Values: [TAGS.managedBy] },
            ...(options.namePrefix ? [{ Key: 'name' as const, Values: [options.namePrefix] }] : []),
          ],
          MaxResults: 100,
          NextToken,
        }),
      ),
    );
    for (const entry of out.SecretList ?? []) {
      if (!entry.ARN || entry.DeletedDate) continue;
      const described = describedSecret(entry.ARN, {
        ...entry,
        VersionIdsToStages: entry.SecretVersionsToStages,
        $metadata: {},
      });
      // The filters match the key alone: the tag must really be there, and the name under the prefix.
      if (described.tags[TAGS.managedBy] === undefined) continue;
      if (options.namePrefix && !described.name.startsWith(options.namePrefix)) continue;
      found.push(described);
    }
    NextToken = out.NextToken;
  } while (NextToken);
  return found;
}
