import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { callSecretsManager } from './secrets-manager-call';

/** A secret found by its tags (ListSecrets). */
export interface TaggedSecret {
  arn: string;
  tags: Record<string, string>;
}

/** The secrets (not scheduled for deletion) that carry tag `key` with `value`, with all their tags. */
export async function secretsTagged(
  client: SecretsManagerClient,
  key: string,
  value: string,
  limit: number,
): Promise<TaggedSecret[]> {
  const found: TaggedSecret[] = [];
  let NextToken: string | undefined;
  do {
    const out = await callSecretsManager('ListSecrets', '-', () =>
      client.send(
        new ListSecretsCommand({
          Filters: [
            { Key: 'tag-key', Values: [key] },
            { Key: 'tag-value', Values: [value] },
          ],
          MaxResults: 100,
          NextToken,
        }),
      ),
    );
    for (const entry of out.SecretList ?? []) {
      const tags = Object.fromEntries((entry.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
      // The filters match the key and the value separately: check they belong together.
      if (entry.ARN && tags[key] === value) found.push({ arn: entry.ARN, tags });
    }
    NextToken = out.NextToken;
  } while (NextToken && found.length < limit);
  return found.slice(0, limit);
}
