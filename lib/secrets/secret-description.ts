import type { DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';

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

/** The description of `secretId` in DescribeSecret's answer. */
export function describedSecret(secretId: string, out: DescribeSecretCommandOutput): SecretDescription {
  return {
    arn: out.ARN ?? secretId,
    name: out.Name ?? secretId,
    rotationEnabled: out.RotationEnabled === true,
    rotationLambdaArn: out.RotationLambdaARN || undefined,
    rotationSchedule:
      out.RotationRules?.ScheduleExpression ||
      (out.RotationRules?.AutomaticallyAfterDays
        ? String(out.RotationRules.AutomaticallyAfterDays)
        : undefined),
    versions: Object.fromEntries(
      Object.entries(out.VersionIdsToStages ?? {}).map(([id, stages]) => [id, stages ?? []]),
    ),
    tags: Object.fromEntries((out.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
  };
}
