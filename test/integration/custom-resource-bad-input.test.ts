import './support/env';
import { TEST_DATABASES, type TestMaster } from './support/databases';
import { randomUUID } from 'node:crypto';
import { allSecretNames, putMaster } from './support/aws';
import { OutputCapture, scanEachTest } from './support/capture';
import { CfnResponseServer } from './support/cfn-server';
import { cfnEvent, testStackId } from './support/cfn-events';
import { customResourceHandler, lambdaContext } from './support/deps';

describe.each(TEST_DATABASES)('Custom::DatabaseUser refuses bad input and changes nothing on $name', (db) => {
  const server = new CfnResponseServer();
  const capture = new OutputCapture();
  let master: TestMaster;
  let masterArn: string;

  beforeAll(async () => {
    await server.start();
    master = await db.createMaster();
    masterArn = await db.putMasterSecret(master);
  });
  afterAll(() => server.stop());
  scanEachTest(
    capture,
    () => [master.password, 'wrong-master-password-sentinel'],
    () => server.received.map((r) => r.raw),
  );

  async function createFails(properties: Record<string, unknown>): Promise<string> {
    // Other test files make and drop roles and secrets meanwhile (jest runs files side by
    // side): compare what this request could have touched, the roles it names or aims at
    // (the injections aim at the server's superuser) and the secrets of its own stack.
    const username = typeof properties.Username === 'string' ? properties.Username : '';
    const watched = [db.adminUser, master.username, username];
    const presentRoles = async () => {
      const present: string[] = [];
      for (const name of watched) if (name && (await db.userExists(name))) present.push(name);
      return present;
    };
    const secretsOfBad = async () => await allSecretNames('dbauth/dbauth-test-bad/');
    const [rolesBefore, secretsBefore] = [await presentRoles(), await secretsOfBad()];
    const requestId = randomUUID();
    const stackId = testStackId('bad');
    const response = await customResourceHandler()(
      cfnEvent('Create', server, { properties, requestId, stackId }),
      lambdaContext(),
    );
    expect(server.responseTo(requestId).Status).toBe('FAILED');
    expect(response.PhysicalResourceId).toBe(`dbauth/failed-create/${requestId}`);
    expect(await presentRoles()).toEqual(rolesBefore);
    expect(await secretsOfBad()).toEqual(secretsBefore);
    return response.Reason;
  }

  it.each([
    ['Username', { Username: `x"; DROP ROLE postgres; --'@'%'; DROP USER root; --` }, /invalid user name/],
    ['Database', { Username: 'ok_user', Database: 'app"; DROP DATABASE app; --' }, /invalid database name/],
    ['Schemas', { Username: 'ok_user', Schemas: ['public"; DROP SCHEMA public; --'] }, /invalid schema name/],
  ])('refuses an injection attempt in %s', async (_field, props, reason) => {
    expect(await createFails({ MasterSecretArn: masterArn, Database: master.database, ...props })).toMatch(
      reason,
    );
  });

  it('answers FAILED to a malformed request that says where to answer, and refuses one that does not', async () => {
    const requestId = randomUUID();
    const event: Record<string, unknown> = {
      ...cfnEvent('Create', server, {
        properties: { MasterSecretArn: masterArn, Username: `malformed_${requestId.slice(0, 8)}` },
        requestId,
      }),
      RequestType: 'Explode',
      ResourceType: undefined,
    };
    const response = await customResourceHandler()(event, lambdaContext());
    const answered = server.responseTo(requestId);
    expect(answered).toEqual(response);
    expect(answered.Status).toBe('FAILED');
    expect(answered.Reason).toBe('malformed CloudFormation request (RequestType, ResourceType)');
    expect(answered.PhysicalResourceId).toBe(`dbauth/failed-create/${requestId}`);
    expect(await db.userExists(`malformed_${requestId.slice(0, 8)}`)).toBe(false);

    const noUrl = { ...event };
    delete noUrl.ResponseURL;
    await expect(customResourceHandler()(noUrl, lambdaContext())).rejects.toThrow(
      'not a CloudFormation custom resource request',
    );
  });

  it('refuses the master user name and reserved names', async () => {
    expect(await createFails({ MasterSecretArn: masterArn, Username: master.username })).toMatch(
      /master user/,
    );
    expect(await createFails({ MasterSecretArn: masterArn, Username: db.adminUser })).toMatch(/reserved/);
  });

  it('refuses a tag Secrets Manager would refuse (a comma in a value), naming its key, before anything is made', async () => {
    const reason = await createFails({
      MasterSecretArn: masterArn,
      Username: 'tagged_user',
      Database: master.database,
      Tags: [{ Key: 'owners', Value: 'team-a,team-b' }],
    });
    expect(reason).toContain('tag owners of secret');
    expect(reason).toContain('is not one Secrets Manager takes');
  });

  it('names a missing MasterSecretArn', async () => {
    expect(await createFails({ Username: 'ok_user' })).toMatch(/MasterSecretArn is required/);
  });

  it('refuses an unknown engine', async () => {
    expect(await createFails({ MasterSecretArn: masterArn, Username: 'ok_user', Engine: 'oracle' })).toMatch(
      /engine "oracle" is not supported/,
    );
  });

  it('says when the master secret does not exist', async () => {
    expect(
      await createFails({
        MasterSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf',
        Username: 'ok_user',
      }),
    ).toMatch(/was not found/);
  });

  it("refuses a master secret of another account, even one whose name this account's secrets share", async () => {
    const otherAccount = masterArn.replace(':123456789012:', ':999999999999:');
    expect(await createFails({ MasterSecretArn: otherAccount, Username: 'ok_user' })).toMatch(
      /is in account 999999999999, not in this function's account 123456789012/,
    );
  });

  it('says what is wrong with an Update that came without its old properties', async () => {
    const requestId = randomUUID();
    const properties = { MasterSecretArn: masterArn, Username: 'ok_user' };
    const event = cfnEvent('Update', server, { properties, requestId, physicalResourceId: 'dbauth/x' });
    delete event.OldResourceProperties;
    const response = await customResourceHandler()(event, lambdaContext());
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toBe(
      'an Update request without OldResourceProperties: dbauth cannot tell what changed',
    );
  });

  it('says which CA bundle it cannot read', async () => {
    const requestId = randomUUID();
    const handler = customResourceHandler({
      tls: { mode: 'verify-full', caBundlePath: '/nonexistent/ca.pem' },
    });
    const response = await handler(
      cfnEvent('Create', server, {
        properties: { MasterSecretArn: masterArn, Username: 'ok_user' },
        requestId,
      }),
      lambdaContext(),
    );
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(
      /the CA bundle \/nonexistent\/ca.pem \(DBAUTH_CA_BUNDLE\) cannot be read \(ENOENT\)/,
    );
  });

  it('says when no version of the master secret logs in', async () => {
    const wrongArn = await putMaster(db.masterSecretValue(master, 'wrong-master-password-sentinel'));
    expect(await createFails({ MasterSecretArn: wrongArn, Username: 'ok_user' })).toMatch(
      /no version of master secret/,
    );
  });

  it('fails fast and clearly when the database port is closed', async () => {
    const closed = await putMaster({ ...db.masterSecretValue(master), port: 1 });
    expect(await createFails({ MasterSecretArn: closed, Username: 'ok_user' })).toMatch(/unreachable/);
  });

  it('refuses Host or Port that would send the master password to another server', async () => {
    expect(
      await createFails({ MasterSecretArn: masterArn, Username: 'ok_user', Host: 'collector.example.com' }),
    ).toMatch(/Host\/Port name another server than the master secret's/);
    expect(await createFails({ MasterSecretArn: masterArn, Username: 'ok_user', Port: '1' })).toMatch(
      /Host\/Port name another server than the master secret's/,
    );
  });
});
