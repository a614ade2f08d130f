import {
  BatchGetSecretValueCommand,
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretError, SecretNotFoundError, SecretsManagerCallError } from './errors';
import type { Password } from './password';
import { randomPassword, type PasswordPolicy } from './random-password';
import { describedSecret, type SecretDescription } from './secret-description';
import type { SecretString } from './secret-string';
import { versionOf, type SecretVersion, type VersionSelector } from './secret-version';
import { callSecretsManager } from './secrets-manager-call';
import { secretsTagged, type TaggedSecret } from './secrets-by-tag';
import { listManagedSecrets } from './managed-secrets';
import { refuseInvalidTags } from './tags';

export interface NewSecret {
  name: string;
  secretString: SecretString;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /** Makes a resent create return the same secret instead of failing. */
  clientRequestToken: string;
}

export interface RotationSchedule {
  lambdaArn: string;
  scheduleExpression?: string;
  automaticallyAfterDays?: number;
}

/**
 * The secret store port: every Secrets Manager call dbauth makes goes through here, so
 * the SDK's errors become ours (never carrying a value) and call counts are easy to see.
 */
export class SecretStore {
  constructor(readonly client: SecretsManagerClient) {}

  async describe(secretId: string): Promise<SecretDescription> {
    const out = await callSecretsManager('DescribeSecret', secretId, () =>
      this.client.send(new DescribeSecretCommand({ SecretId: secretId })),
    );
    if (out.DeletedDate) throw new SecretNotFoundError(secretId);
    return describedSecret(secretId, out);
  }

  /** Describe, or undefined when the secret does not exist (or is scheduled for deletion). */
  async find(secretId: string): Promise<SecretDescription | undefined> {
    try {
      return await this.describe(secretId);
    } catch (error) {
      if (error instanceof SecretNotFoundError) return undefined;
      throw error;
    }
  }

  /** The secret string of one version, chosen by stage or by version id. */
  async getString(secretId: string, version: VersionSelector): Promise<SecretString> {
    return (await this.getVersion(secretId, version)).secretString;
  }

  /** One version: its string, and which secret and version it is. */
  async getVersion(secretId: string, version: VersionSelector): Promise<SecretVersion> {
    const out = await callSecretsManager('GetSecretValue', secretId, () =>
      this.client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          // One field or the other, as the selector says: not a field that may be missing.
          ...('stage' in version ? { VersionStage: version.stage } : { VersionId: version.versionId }),
        }),
      ),
    );
    if (!out.SecretString) throw new SecretsManagerCallError('GetSecretValue', secretId, 'no SecretString');
    return versionOf({ ...out, ARN: out.ARN ?? secretId, SecretString: out.SecretString });
  }

  /**
   * The AWSCURRENT versions of several secrets in one call (BatchGetSecretValue). A secret that
   * cannot be read is left out; its caller reads it alone and gets the error then.
   */
  async getCurrentOfEach(secretIds: string[]): Promise<SecretVersion[]> {
    const out = await callSecretsManager('BatchGetSecretValue', secretIds.join(','), () =>
      this.client.send(new BatchGetSecretValueCommand({ SecretIdList: secretIds })),
    );
    return (out.SecretValues ?? []).flatMap(({ ARN, SecretString, ...rest }) =>
      ARN && SecretString ? [versionOf({ ...rest, ARN, SecretString })] : [],
    );
  }

  async create(secret: NewSecret): Promise<{ arn: string; name: string }> {
    refuseInvalidTags(secret.name, secret.tags);
    const out = await callSecretsManager('CreateSecret', secret.name, () =>
      this.client.send(
        new CreateSecretCommand({
          Name: secret.name,
          SecretString: secret.secretString.reveal(),
          ClientRequestToken: secret.clientRequestToken,
          Description: secret.description || undefined,
          KmsKeyId: secret.kmsKeyId || undefined,
          Tags: Object.entries(secret.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
    return { arn: out.ARN ?? secret.name, name: out.Name ?? secret.name };
  }

  /** Puts a new version under `token` with the given stages (AWSCURRENT when none given). */
  async putString(
    secretId: string,
    secretString: SecretString,
    options: { token?: string; stages?: string[]; rotationToken?: string } = {},
  ): Promise<void> {
    await callSecretsManager('PutSecretValue', secretId, () =>
      this.client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          SecretString: secretString.reveal(),
          ClientRequestToken: options.token || undefined,
          VersionStages: options.stages,
          RotationToken: options.rotationToken || undefined,
        }),
      ),
    );
  }

  /** Moves `stage` onto version `to` and off version `from` (either may be left out). */
  async moveStage(secretId: string, stage: string, move: { to?: string; from?: string }): Promise<void> {
    await callSecretsManager('UpdateSecretVersionStage', secretId, () =>
      this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: stage,
          MoveToVersionId: move.to || undefined,
          RemoveFromVersionId: move.from || undefined,
        }),
      ),
    );
  }

  async update(secretId: string, changes: { description?: string; kmsKeyId?: string }): Promise<void> {
    await callSecretsManager('UpdateSecret', secretId, () =>
      this.client.send(
        new UpdateSecretCommand({
          SecretId: secretId,
          Description: changes.description || undefined,
          KmsKeyId: changes.kmsKeyId || undefined,
        }),
      ),
    );
  }

  async tag(secretId: string, tags: Record<string, string>): Promise<void> {
    refuseInvalidTags(secretId, tags);
    await callSecretsManager('TagResource', secretId, () =>
      this.client.send(
        new TagResourceCommand({
          SecretId: secretId,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  }

  async untag(secretId: string, keys: string[]): Promise<void> {
    await callSecretsManager('UntagResource', secretId, () =>
      this.client.send(new UntagResourceCommand({ SecretId: secretId, TagKeys: keys })),
    );
  }

  /** ARNs of the secrets (not scheduled for deletion) that carry tag `key` with `value`, up to `limit`. */
  async findTagged(key: string, value: string, limit: number): Promise<string[]> {
    return (await this.listTagged(key, value, limit)).map((entry) => entry.arn);
  }

  /** The secrets (not scheduled for deletion) that carry tag `key` with `value`, with all their tags. */
  async listTagged(key: string, value: string, limit: number): Promise<TaggedSecret[]> {
    return secretsTagged(this.client, key, value, limit);
  }

  /** Every secret dbauth manages (tag `dbauth:managed-by`), described as ListSecrets sees them. */
  async listManaged(
    options: { namePrefix?: string; onCall?: () => void } = {},
  ): Promise<SecretDescription[]> {
    return listManagedSecrets(this.client, options);
  }

  /** Schedules deletion (recoveryWindowDays 7–30), or deletes at once when `force`. */
  async delete(secretId: string, options: { recoveryWindowDays?: number; force?: boolean }): Promise<void> {
    await callSecretsManager('DeleteSecret', secretId, () =>
      this.client.send(
        new DeleteSecretCommand({
          SecretId: secretId,
          ...(options.force
            ? { ForceDeleteWithoutRecovery: true }
            : { RecoveryWindowInDays: options.recoveryWindowDays ?? 7 }),
        }),
      ),
    );
  }

  /** Turns rotation on without rotating now: the value was just set by its creator. */
  async attachRotation(secretId: string, schedule: RotationSchedule): Promise<void> {
    // Secrets Manager answers ResourceNotFound for a rotation function it cannot find, too.
    const notFound = () =>
      new SecretError(
        `Secrets Manager could not attach rotation to secret ${secretId}: the secret or the rotation function ${schedule.lambdaArn} was not found`,
      );
    await callSecretsManager(
      'RotateSecret',
      secretId,
      () =>
        this.client.send(
          new RotateSecretCommand({
            SecretId: secretId,
            RotationLambdaARN: schedule.lambdaArn,
            RotateImmediately: false,
            RotationRules: {
              ScheduleExpression: schedule.scheduleExpression || undefined,
              AutomaticallyAfterDays: schedule.automaticallyAfterDays || undefined,
            },
          }),
        ),
      notFound,
    );
  }

  async detachRotation(secretId: string): Promise<void> {
    await callSecretsManager('CancelRotateSecret', secretId, () =>
      this.client.send(new CancelRotateSecretCommand({ SecretId: secretId })),
    );
  }

  async randomPassword(policy: PasswordPolicy): Promise<Password> {
    return randomPassword(this.client, policy);
  }
}
