import dns from 'node:dns';
import { CreateDBClusterCommand, CreateDBInstanceCommand } from '@aws-sdk/client-rds';
import { PutSecretValueCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { rdsClient, secretsClient, TEST_CONSENT } from './aws';
import { uniqueSuffix } from './postgres';

/** What moto's RDS made: the database's ARN and endpoint, and the master secret it manages. */
export interface RdsDatabase {
  arn: string;
  address: string;
  port: number;
  masterSecretArn: string;
}

/**
 * An instance with `ManageMasterUserPassword`: moto then makes the master secret itself, as RDS
 * does (`rds!db-…`, only username and password, tagged `aws:rds:primaryDBInstanceArn`).
 */
export async function createRdsInstance(port: number): Promise<RdsDatabase> {
  const out = await rdsClient().send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: `dbauth-test-${uniqueSuffix()}`,
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'rdsadmin_unused',
      ManageMasterUserPassword: true,
      Port: port,
    }),
  );
  const db = out.DBInstance;
  await consentOnManagedSecret(db?.MasterUserSecret?.SecretArn ?? '');
  return {
    arn: db?.DBInstanceArn ?? '',
    address: db?.Endpoint?.Address ?? '',
    port: db?.Endpoint?.Port ?? 0,
    masterSecretArn: db?.MasterUserSecret?.SecretArn ?? '',
  };
}

/** A cluster with `ManageMasterUserPassword` (tag `aws:rds:primaryDBClusterArn`). */
export async function createRdsCluster(port: number): Promise<RdsDatabase> {
  const out = await rdsClient().send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: `dbauth-test-${uniqueSuffix()}`,
      Engine: 'aurora-postgresql',
      MasterUsername: 'rdsadmin_unused',
      ManageMasterUserPassword: true,
      Port: port,
    }),
  );
  const cluster = out.DBCluster;
  await consentOnManagedSecret(cluster?.MasterUserSecret?.SecretArn ?? '');
  return {
    arn: cluster?.DBClusterArn ?? '',
    address: cluster?.Endpoint ?? '',
    port: cluster?.Port ?? 0,
    masterSecretArn: cluster?.MasterUserSecret?.SecretArn ?? '',
  };
}

/** The database's owner tags RDS's own master secret with its consent, as it may on AWS. */
async function consentOnManagedSecret(secretArn: string): Promise<void> {
  await secretsClient().send(
    new TagResourceCommand({
      SecretId: secretArn,
      Tags: Object.entries(TEST_CONSENT).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

/**
 * Puts a master login into an RDS-managed secret, in its own shape (username and password
 * only), as RDS does when it rotates the master password. moto's own value is a fixed login
 * no local server knows.
 */
export async function putManagedMasterLogin(
  secretArn: string,
  login: { username: string; password: string },
): Promise<void> {
  await secretsClient().send(
    new PutSecretValueCommand({
      SecretId: secretArn,
      SecretString: JSON.stringify({ username: login.username, password: login.password }),
    }),
  );
}

type LookupCallback = (error: Error | null, address: unknown, family?: number) => void;

/**
 * Makes this process resolve moto's RDS endpoint names (`*.rds.amazonaws.com`, which exist
 * nowhere) to loopback, where the local PostgreSQL listens: a hosts-file entry scoped to one
 * test. Every other name resolves as before. Returns the function that undoes it.
 */
export function resolveRdsNamesToLoopback(): () => void {
  const original = dns.lookup;
  const patched = (hostname: string, options: unknown, callback?: LookupCallback) => {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
    if (!hostname.endsWith('.rds.amazonaws.com'))
      return (original as (...args: unknown[]) => unknown)(hostname, options, callback);
    process.nextTick(() =>
      opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
    );
  };
  dns.lookup = patched as unknown as typeof dns.lookup;
  return () => {
    dns.lookup = original;
  };
}
