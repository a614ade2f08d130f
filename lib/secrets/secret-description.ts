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
  /** When Secrets Manager last rotated it (or, on moto, last attached rotation); the audit reads it. */
  lastRotatedDate?: Date;
  /** When the next scheduled rotation is due, as Secrets Manager says (absent without a schedule). */
  nextRotationDate?: Date;
  createdDate?: Date;
  lastChangedDate?: Date;
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
    ...datesOf(out),
  };
}

/** The dates that are there (an absent one stays absent, so equality checks of descriptions hold). */
function datesOf(out: DatedSecret): Pick<SecretDescription, DateKey> {
  const dates: Pick<SecretDescription, DateKey> = {};
  const keep = (key: DateKey, value: Date | undefined) => {
    if (value instanceof Date && !Number.isNaN(value.getTime())) dates[key] = value;
  };
  keep('lastRotatedDate', out.LastRotatedDate);
  keep('nextRotationDate', out.NextRotationDate);
  keep('createdDate', out.CreatedDate);
  keep('lastChangedDate', out.LastChangedDate);
  return dates;
}
type DateKey = 'lastRotatedDate' | 'nextRotationDate' | 'createdDate' | 'lastChangedDate';
type DatedSecret = Pick<
  DescribeSecretCommandOutput,
  'LastRotatedDate' | 'NextRotationDate' | 'CreatedDate' | 'LastChangedDate'
>;
