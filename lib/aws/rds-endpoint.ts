import type { RdsSender } from './clients';
import { engineNameOfRds } from '../engines/registry';
import { RdsLookupError } from './errors';

/**
 * Tags Secrets Manager puts on a master secret that RDS manages (ManageMasterUserPassword).
 * RDS writes them as `aws:rds:primaryDBInstanceArn` / `aws:rds:primaryDBClusterArn`; tag keys
 * are case-sensitive, so they are matched without regard to case, as AWS's own rotation
 * functions match them.
 */
export const RDS_INSTANCE_TAG = 'aws:rds:primarydbinstancearn';
export const RDS_CLUSTER_TAG = 'aws:rds:primarydbclusterarn';

function tagValue(tags: Record<string, string>, key: string): string | undefined {
  const found = Object.keys(tags).find((k) => k.toLowerCase() === key);
  return found === undefined ? undefined : tags[found];
}

export interface RdsEndpoint {
  host: string;
  port: number;
  engine: string;
}

/** The endpoint of the instance or cluster named by an RDS-managed master secret's tags. */
export async function lookUpRdsEndpoint(
  rds: RdsSender,
  tags: Record<string, string>,
): Promise<RdsEndpoint | undefined> {
  const instanceArn = tagValue(tags, RDS_INSTANCE_TAG);
  const clusterArn = tagValue(tags, RDS_CLUSTER_TAG);
  const arn = instanceArn ?? clusterArn;
  if (!arn) return undefined;
  const identifier = arn.split(':').pop() ?? arn;
  // Loaded here, not at cold start: few master secrets are RDS-managed ones.
  const { DescribeDBInstancesCommand, DescribeDBClustersCommand } = await import('@aws-sdk/client-rds');
  try {
    if (instanceArn) {
      const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
      const instance = out.DBInstances?.[0];
      if (!instance?.Endpoint?.Address || !instance.Engine)
        throw new RdsLookupError(arn, 'it has no endpoint yet');
      return {
        host: instance.Endpoint.Address,
        port: instance.Endpoint.Port ?? 0,
        engine: engineNameOfRds(instance.Engine),
      };
    }
    const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }));
    const cluster = out.DBClusters?.[0];
    if (!cluster?.Endpoint || !cluster.Engine) throw new RdsLookupError(arn, 'it has no endpoint yet');
    return {
      host: cluster.Endpoint,
      port: cluster.Port ?? 0,
      engine: engineNameOfRds(cluster.Engine),
    };
  } catch (error) {
    if (error instanceof RdsLookupError) throw error;
    throw new RdsLookupError(arn, error instanceof Error ? error.name : 'unknown error');
  }
}
