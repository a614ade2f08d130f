import './support/env';
import { TEST_DATABASES, type TestMaster } from './support/databases';
import { CfnResponseServer } from './support/cfn-server';
import { cfnEvent, testStackId } from './support/cfn-events';
import { customResourceHandler, lambdaContext } from './support/deps';
import { motoRotationFunctionArn } from './support/lambda';
import { uniqueSuffix } from './support/postgres';
import { logsIn, rotate, secretAt } from './support/rotation';
import { secretStore } from './support/aws';
import { OutputCapture, scanEachTest } from './support/capture';
import { parseAppSecret } from '../../lib/secrets/secret-value';

describe.each(TEST_DATABASES)('Custom::DatabaseUser with Rotation, then rotated on $name', (db) => {
  const server = new CfnResponseServer();
  const output = new OutputCapture();
  const passwords: string[] = [];
  let master: TestMaster;
  let masterArn: string;
  let rotationArn: string;

  beforeAll(async () => {
    await server.start();
    master = await db.createMaster();
    passwords.push(master.password);
    masterArn = await db.putMasterSecret(master);
    rotationArn = await motoRotationFunctionArn();
  });
  afterAll(() => server.stop());
  scanEachTest(
    output,
    () => passwords,
    () => server.received.map((r) => r.raw),
  );

  it('attaches the rotation function, rotates with alternating users, and drops both logins on delete', async () => {
    const handler = customResourceHandler({ rotationLambdaArn: rotationArn });
    const username = `rot_${uniqueSuffix()}`;
    const stackId = testStackId('rotation');
    const properties = {
      MasterSecretArn: masterArn,
      Username: username,
      Database: master.database,
      Grants: 'readwrite',
      // moto turns rotation on only for AutomaticallyAfterDays; AWS takes a Schedule too.
      Rotation: { Strategy: 'alternating', AutomaticallyAfterDays: '30' },
    };
    const created = await handler(cfnEvent('Create', server, { properties, stackId }), lambdaContext());
    expect(created.Status).toBe('SUCCESS');
    const secretArn = created.Data?.SecretArn ?? '';
    const described = await secretStore().describe(secretArn);
    expect(described.rotationEnabled).toBe(true);
    expect(described.rotationLambdaArn).toBe(rotationArn);
    expect(described.tags['dbauth:strategy']).toBe('alternating');

    const logins: string[] = [];
    for (let round = 0; round < 2; round += 1) {
      await rotate(secretArn);
      const now = await secretAt(secretArn, 'AWSCURRENT');
      passwords.push(now.password.reveal());
      logins.push(now.username);
      expect(await logsIn(now, master.database)).toBe(true);
    }
    expect(logins).toEqual([`${username}_clone`, username]);

    // An Update while the clone is the current login keeps the secret's login and password.
    await rotate(secretArn);
    const asClone = await secretAt(secretArn, 'AWSCURRENT');
    passwords.push(asClone.password.reveal());
    expect(asClone.username).toBe(`${username}_clone`);
    const updated = await handler(
      cfnEvent('Update', server, {
        properties: { ...properties, Grants: 'readonly', Description: 'now read only' },
        oldProperties: properties,
        stackId,
        physicalResourceId: created.PhysicalResourceId,
      }),
      lambdaContext(),
    );
    expect(updated.Status).toBe('SUCCESS');
    // moto leaves AWSCURRENT on two versions after a PutSecretValue that follows an
    // UpdateSecretVersionStage (AWS moves it): every version labelled AWSCURRENT must work.
    const versions = (await secretStore().describe(secretArn)).versions;
    const currentIds = Object.keys(versions).filter((id) => versions[id]?.includes('AWSCURRENT'));
    expect(currentIds.length).toBeGreaterThan(0);
    for (const versionId of currentIds) {
      const value = parseAppSecret(secretArn, await secretStore().getString(secretArn, { versionId }));
      expect(value.username).toBe(`${username}_clone`);
      expect(await logsIn(value, master.database)).toBe(true);
    }

    const deleted = await handler(
      cfnEvent('Delete', server, { properties, stackId, physicalResourceId: created.PhysicalResourceId }),
      lambdaContext(),
    );
    expect(deleted.Status).toBe('SUCCESS');
    expect(await db.userExists(username)).toBe(false);
    expect(await db.userExists(`${username}_clone`)).toBe(false);
  });

  it('keeps PasswordLength and ExcludeCharacters for the passwords of every rotation', async () => {
    const handler = customResourceHandler({ rotationLambdaArn: rotationArn });
    // All capitals but Z: 20 characters without any of them, three times over, is no accident.
    const excluded = 'ABCDEFGHIJKLMNOPQRSTUVWXY"\\';
    const properties = {
      MasterSecretArn: masterArn,
      Username: `policy_${uniqueSuffix()}`,
      Database: master.database,
      PasswordLength: '20',
      ExcludeCharacters: excluded,
      Rotation: { Strategy: 'single', AutomaticallyAfterDays: '30' },
    };
    const created = await handler(cfnEvent('Create', server, { properties }), lambdaContext());
    expect(created.Status).toBe('SUCCESS');
    const secretArn = created.Data?.SecretArn ?? '';
    const seen: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      if (round > 0) await rotate(secretArn);
      const value = await secretAt(secretArn, 'AWSCURRENT');
      passwords.push(value.password.reveal());
      seen.push(value.password.reveal());
      expect(await logsIn(value, master.database)).toBe(true);
    }
    expect(new Set(seen).size).toBe(3);
    for (const password of seen) {
      expect(password).toHaveLength(20);
      expect([...password].filter((char) => excluded.includes(char))).toEqual([]);
    }
  });
});
