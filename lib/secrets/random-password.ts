import { GetRandomPasswordCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerCallError } from './errors';
import { Password } from './password';
import { callSecretsManager } from './secrets-manager-call';

/** How a password is made (GetRandomPassword's parameters). */
export interface PasswordPolicy {
  length: number;
  excludeCharacters: string;
  excludePunctuation: boolean;
  excludeNumbers?: boolean;
  excludeUppercase?: boolean;
  excludeLowercase?: boolean;
  requireEachIncludedType: boolean;
}

/** A new password by `policy`, made by Secrets Manager. */
export async function randomPassword(
  client: SecretsManagerClient,
  policy: PasswordPolicy,
): Promise<Password> {
  const out = await callSecretsManager('GetRandomPassword', '-', () =>
    client.send(
      new GetRandomPasswordCommand({
        PasswordLength: policy.length,
        ExcludeCharacters: policy.excludeCharacters,
        ExcludePunctuation: policy.excludePunctuation,
        ExcludeNumbers: policy.excludeNumbers ?? false,
        ExcludeUppercase: policy.excludeUppercase ?? false,
        ExcludeLowercase: policy.excludeLowercase ?? false,
        RequireEachIncludedType: policy.requireEachIncludedType,
      }),
    ),
  );
  if (!out.RandomPassword) throw new SecretsManagerCallError('GetRandomPassword', '-', 'empty answer');
  return new Password(out.RandomPassword);
}
