import { SecretString } from './secret-string';

/** A version of a secret, chosen by its staging label or by its id. */
export type VersionSelector = { stage: string } | { versionId: string };

/** One version of a secret: its string, and which secret and version it is. */
export interface SecretVersion {
  arn: string;
  versionId: string;
  stages: string[];
  secretString: SecretString;
  /** When this version was made (GetSecretValue's CreatedDate), when the answer says. */
  createdDate?: Date;
}

/** A version as GetSecretValue and BatchGetSecretValue answer it. */
export function versionOf(entry: {
  ARN: string;
  VersionId?: string;
  VersionStages?: string[];
  SecretString: string;
  CreatedDate?: Date;
}): SecretVersion {
  return {
    arn: entry.ARN,
    versionId: entry.VersionId ?? '',
    stages: entry.VersionStages ?? [],
    secretString: new SecretString(entry.SecretString),
    createdDate: entry.CreatedDate instanceof Date ? entry.CreatedDate : undefined,
  };
}
