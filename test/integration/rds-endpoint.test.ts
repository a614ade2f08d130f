import './support/env';
import { lookUpRdsEndpoint } from '../../lib/aws/rds-endpoint';
import { rdsClient, rdsClientAt } from './support/aws';
import { createRdsInstance } from './support/rds';

/** The endpoint of an RDS-managed master, as moto's RDS serves it (DescribeDBInstances). */
describe('lookUpRdsEndpoint against RDS', () => {
  it.each(['aws:rds:primaryDBInstanceArn', 'aws:rds:primarydbinstancearn'])(
    'reads the instance tag as RDS writes it, whatever its case (%s)',
    async (key) => {
      const instance = await createRdsInstance(5432);

      const found = await lookUpRdsEndpoint(rdsClient(), { [key]: instance.arn });

      expect(found).toEqual({ host: instance.address, port: 5432, engine: 'postgres' });
      expect(instance.address).toMatch(/\.rds\.amazonaws\.com$/);
    },
  );

  it('names the instance when RDS does not know it', async () => {
    await expect(
      lookUpRdsEndpoint(rdsClient(), {
        'aws:rds:primaryDBInstanceArn': 'arn:aws:rds:us-east-1:123456789012:db:no-such-instance',
      }),
    ).rejects.toThrow(
      'could not find the endpoint of arn:aws:rds:us-east-1:123456789012:db:no-such-instance',
    );
  });

  it('looks nothing up for a secret without an RDS tag (a client pointed nowhere is never called)', async () => {
    const nowhere = rdsClientAt('http://127.0.0.1:9');
    await expect(lookUpRdsEndpoint(nowhere, { other: 'x' })).resolves.toBeUndefined();
    // The same client does fail when a lookup is made: the check above could fail.
    await expect(
      lookUpRdsEndpoint(nowhere, { 'aws:rds:primaryDBInstanceArn': 'arn:aws:rds:us-east-1:1:db:x' }),
    ).rejects.toThrow('could not find the endpoint');
  });
});
