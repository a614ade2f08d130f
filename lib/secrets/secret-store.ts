import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RotateSecretCommand,
  CancelRotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  ListSecretsCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  InvalidRequestException,
} from '@aws-sdk/client-secrets-manager';
import { SecretError, SecretNotFoundError, SecretsManagerCallError } from './errors';
import { Password } from './password';
import { SecretString } from './secret-string';
import { TAG_KEY, TAG_VALUE } from './tags';
import { InvalidInputError } from '../errors';

/** A secret found by its tags (ListSecrets). */
export interface TaggedSecret {
  arn: string;
  tags: Record<string, string>;
}

/** What DescribeSecret tells, reduced to what dbauth decides on. */
export interface SecretDescription {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  /** The schedule, as RotationRules says it (ScheduleExpression, or AutomaticallyAfterDays). */
  rotationSchedule?: string;
  /** versionId → staging labels */
  versions: Record<string, string[]>;
  tags: Record<string, string>;
}

export type VersionSelector = { stage: string } | { versionId: string };

export interface SecretVersion {
  arn: string;
  versionId: string;
  stages: string[];
  secretString: SecretString;
}

export interface NewSecret {
  name: string;
  secretString: SecretString;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /** Makes a resent create return the same secret instead of failing. */
  clientRequestToken: string;
}

export interface PasswordPolicy {
  length: number;
  excludeCharacters: string;
  excludePunctuation: boolean;
  excludeNumbers?: boolean;
  excludeUppercase?: boolean;
  excludeLowercase?: boolean;
  requireEachIncludedType: boolean;
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
    const out = await this.call('DescribeSecret', secretId, () =>
      this.client.send(new DescribeSecretCommand({ SecretId: secretId })),
    );
    if (out.DeletedDate) throw new SecretNotFoundError(secretId);
    return {
      arn: out.ARN ?? secretId,
      name: out.Name ?? secretId,
      rotationEnabled: out.RotationEnabled === true,
      rotationLambdaArn: out.RotationLambdaARN || undefined,
      ...(out.RotationRules?.ScheduleExpression
        ? { rotationSchedule: out.RotationRules.ScheduleExpression }
        : out.RotationRules?.AutomaticallyAfterDays
          ? { rotationSchedule: String(out.RotationRules.AutomaticallyAfterDays) }
          : {}),
      versions: Object.fromEntries(
        Object.entries(out.VersionIdsToStages ?? {}).map(([id, stages]) => [id, stages ?? []]),
      ),
      tags: Object.fromEntries((out.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    };
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
    const out = await this.call('GetSecretValue', secretId, () =>
      this.client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          // One field or the other, as the selector says: not a field that may be missing.
          ...('stage' in version ? { VersionStage: version.stage } : { VersionId: version.versionId }),
        }),
      ),
    );
    if (!out.SecretString) throw new SecretsManagerCallError('GetSecretValue', secretId, 'no SecretString');
    return {
      arn: out.ARN ?? secretId,
      versionId: out.VersionId ?? '',
      stages: out.VersionStages ?? [],
      secretString: new SecretString(out.SecretString),
    };
  }

  /**
   * The AWSCURRENT versions of several secrets in one call (BatchGetSecretValue). A secret that
   * cannot be read is left out; its caller reads it alone and gets the error then.
   */
  async getCurrentOfEach(secretIds: string[]): Promise<SecretVersion[]> {
    const out = await this.call('BatchGetSecretValue', secretIds.join(','), () =>
      this.client.send(new BatchGetSecretValueCommand({ SecretIdList: secretIds })),
    );
    return (out.SecretValues ?? []).flatMap((entry) =>
      entry.SecretString && entry.ARN
        ? [
            {
              arn: entry.ARN,
              versionId: entry.VersionId ?? '',
              stages: entry.VersionStages ?? [],
              secretString: new SecretString(entry.SecretString),
            },
          ]
        : [],
    );
  }

  async create(secret: NewSecret): Promise<{ arn: string; name: string }> {
    refuseInvalidTags(secret.name, secret.tags);
    const out = await this.call('CreateSecret', secret.name, () =>
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
    await this.call('PutSecretValue', secretId, () =>
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
    await this.call('UpdateSecretVersionStage', secretId, () =>
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
    await this.call('UpdateSecret', secretId, () =>
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
    await this.call('TagResource', secretId, () =>
      this.client.send(
        new TagResourceCommand({
          SecretId: secretId,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  }

  async untag(secretId: string, keys: string[]): Promise<void> {
    await this.call('UntagResource', secretId, () =>
      this.client.send(new UntagResourceCommand({ SecretId: secretId, TagKeys: keys })),
    );
  }

  /** ARNs of the secrets (not scheduled for deletion) that carry tag `key` with `value`, up to `limit`. */
  async findTagged(key: string, value: string, limit: number): Promise<string[]> {
    return (await this.listTagged(key, value, limit)).map((entry) => entry.arn);
  }

  /** The secrets (not scheduled for deletion) that carry tag `key` with `value`, with all their tags. */
  async listTagged(key: string, value: string, limit: number): Promise<TaggedSecret[]> {
    const found: TaggedSecret[] = [];
    let NextToken: string | undefined;
    do {
      const out = await this.call('ListSecrets', '-', () =>
        this.client.send(
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

  /** Schedules deletion (recoveryWindowDays 7–30), or deletes at once when `force`. */
  async delete(secretId: string, options: { recoveryWindowDays?: number; force?: boolean }): Promise<void> {
    await this.call('DeleteSecret', secretId, () =>
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
    await this.call('RotateSecret', secretId, notFound, () =>
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
    );
  }

  async detachRotation(secretId: string): Promise<void> {
    await this.call('CancelRotateSecret', secretId, () =>
      this.client.send(new CancelRotateSecretCommand({ SecretId: secretId })),
    );
  }

  async randomPassword(policy: PasswordPolicy): Promise<Password> {
    const out = await this.call('GetRandomPassword', '-', () =>
      this.client.send(
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

  private async call<T>(
    operation: string,
    secretId: string,
    ...[notFoundOrSend, maybeSend]: [() => Promise<T>] | [() => Error, () => Promise<T>]
  ): Promise<T> {
    const send = (maybeSend ?? notFoundOrSend) as () => Promise<T>;
    const notFound = maybeSend ? (notFoundOrSend as () => Error) : () => new SecretNotFoundError(secretId);
    try {
      return await withGarbleRetries(send);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) throw notFound();
      // A secret scheduled for deletion answers InvalidRequestException on most calls.
      if (error instanceof InvalidRequestException && /deleted|deletion/i.test(error.message ?? '')) {
        throw new SecretNotFoundError(secretId);
      }
      const name = error instanceof Error ? error.name : 'unknown error';
      throw new SecretsManagerCallError(operation, secretId, name);
    }
  }
}

// The SDK retries throttling, 5xx and timeouts itself, but not an answer it cannot parse (a cut
// connection mid-body; moto under load does it too). Every call here is safe to repeat: reads,
// and writes made idempotent by their tokens or their nature. Two more tries, then the error.
const GARBLED_RETRIES = 2;

async function withGarbleRetries<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof Error && error.name === 'SyntaxError') || attempt >= GARBLED_RETRIES)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
    }
  }
}

/**
 * Refuses tags Secrets Manager would refuse (moto takes any), before the call and naming the
 * key: a value is not shown, and a half-done request is not left behind.
 */
function refuseInvalidTags(secretId: string, tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (!TAG_KEY.test(key) || key.toLowerCase().startsWith('aws:') || !TAG_VALUE.test(value)) {
      throw new InvalidInputError(
        `tag ${TAG_KEY.test(key) ? key : '(a key)'} of secret ${secretId} is not one Secrets Manager takes: keys and values hold letters, digits, spaces and _ . : / = + - @ only (keys up to 128 characters, values up to 256), and keys do not start with aws:`,
      );
    }
  }
}
