import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { lookUpRdsEndpoint } from '../../../lib/aws/rds-endpoint';

describe('lookUpRdsEndpoint', () => {
  const rds = mockClient(RDSClient);
  beforeEach(() => {
    rds.reset();
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'app-db' }).resolves({
      DBInstances: [{ Engine: 'postgres', Endpoint: { Address: 'app-db.example.internal', Port: 5432 } }],
    });
  });

  it.each(['aws:rds:primaryDBInstanceArn', 'aws:rds:primarydbinstancearn'])(
    'reads the instance tag as RDS writes it, whatever its case (%s)',
    async (key) => {
      const tags = { [key]: 'arn:aws:rds:us-east-1:123456789012:db:app-db' };
      expect(await lookUpRdsEndpoint(new RDSClient({}), tags)).toEqual({
        host: 'app-db.example.internal',
        port: 5432,
        engine: 'postgres',
      });
    },
  );

  it('looks nothing up for a secret without an RDS tag', async () => {
    expect(await lookUpRdsEndpoint(new RDSClient({}), { other: 'x' })).toBeUndefined();
    expect(rds.calls()).toHaveLength(0);
  });
});
