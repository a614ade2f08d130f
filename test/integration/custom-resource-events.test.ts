import './support/env';
import { EventBridgePublisher } from '../../lib/events/publisher';
import { CfnResponseServer } from './support/cfn-server';
import { cfnEvent, testStackId } from './support/cfn-events';
import { customResourceHandler, lambdaContext } from './support/deps';
import { EventQueue, eventBridgeClient } from './support/event-queue';
import { createPgMaster, putPgMasterSecret, uniqueSuffix } from './support/postgres';
import { secretStore } from './support/aws';
import { OutputCapture, scanEachTest } from './support/capture';

describe('Custom::DatabaseUser publishes what it did', () => {
  const server = new CfnResponseServer();
  const events = new EventQueue();
  beforeAll(async () => {
    await server.start();
    await events.start();
  });
  afterAll(() => server.stop());
  const passwords: string[] = [];
  scanEachTest(
    new OutputCapture(),
    () => passwords,
    () => server.received.map((r) => r.raw),
  );

  it('publishes Database User Created, Updated and Dropped, with no password in them', async () => {
    const master = await createPgMaster();
    passwords.push(master.password);
    const masterArn = await putPgMasterSecret(master);
    const handler = customResourceHandler({
      publisher: new EventBridgePublisher(eventBridgeClient(), {
        busName: events.busName,
        onFailure: () => undefined,
      }),
    });
    const username = `events_${uniqueSuffix()}`;
    const stackId = testStackId('events');
    const properties = { MasterSecretArn: masterArn, Username: username, Database: master.database };
    const created = await handler(cfnEvent('Create', server, { properties, stackId }), lambdaContext());
    const physicalResourceId = created.PhysicalResourceId;
    const readwrite = { ...properties, Grants: 'readwrite' };
    await handler(
      cfnEvent('Update', server, {
        properties: readwrite,
        oldProperties: properties,
        stackId,
        physicalResourceId,
      }),
      lambdaContext(),
    );
    const password = (
      await secretStore().getString(created.Data?.SecretArn ?? '', { stage: 'AWSCURRENT' })
    ).reveal();
    await handler(
      cfnEvent('Delete', server, { properties: readwrite, stackId, physicalResourceId }),
      lambdaContext(),
    );

    const published = await events.drain();
    expect(published.map((e) => e['detail-type'])).toEqual([
      'Database User Created',
      'Database User Updated',
      'Database User Dropped',
    ]);
    expect(published[0]?.detail).toMatchObject({
      secretArn: created.Data?.SecretArn,
      engine: 'postgres',
      database: master.database,
      user: username,
      stackId,
    });
    expect(published.filter((e) => e.raw.includes(password) || e.raw.includes(master.password))).toEqual([]);
  });

  it('completes the request when the event cannot be published, and logs that', async () => {
    const master = await createPgMaster();
    passwords.push(master.password);
    const masterArn = await putPgMasterSecret(master);
    const warnings: string[] = [];
    const handler = customResourceHandler({
      publisher: new EventBridgePublisher(eventBridgeClient(), {
        busName: `no-such-bus-${uniqueSuffix()}`,
        onFailure: (message) => warnings.push(message),
      }),
    });
    const properties = {
      MasterSecretArn: masterArn,
      Username: `nobus_${uniqueSuffix()}`,
      Database: master.database,
    };
    const created = await handler(cfnEvent('Create', server, { properties }), lambdaContext());
    expect(created.Status).toBe('SUCCESS');
    expect(warnings).toEqual(['event not published']);
  });
});
