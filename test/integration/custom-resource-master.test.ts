import './support/env';
import { TEST_DATABASES } from './support/databases';
import { randomUUID } from 'node:crypto';
import { DescribeSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { putMaster, secretsClient } from './support/aws';
import { CustomResourceHarness } from './support/harness';
import { uniqueSuffix } from './support/postgres';

/**
 * The master secret may be mid-rotation: its AWSCURRENT may not log in yet (the new password
 * is still AWSPENDING) or no longer (a rotation failed half-way and AWSPREVIOUS is what the
 * database has). dbauth tries those versions before it gives up.
 */
describe.each(TEST_DATABASES)(
  'Custom::DatabaseUser logs in with a master secret that is mid-rotation on $name',
  (db) => {
    const h = new CustomResourceHarness('master', db);
    const run = uniqueSuffix();

    beforeAll(() => h.setUp());
    afterAll(() => h.tearDown());
    h.scanEachTest();

    const masterValue = (password: string) => db.masterSecretValue(h.master, password);

    function wrongPassword(): string {
      const password = `wrong-master-${randomUUID()}`;
      h.remember(password);
      return password;
    }

    const putVersion = (secretArn: string, password: string, stages?: string[]) =>
      secretsClient().send(
        new PutSecretValueCommand({
          SecretId: secretArn,
          SecretString: JSON.stringify(masterValue(password)),
          VersionStages: stages,
        }),
      );

    const stagesOf = async (secretArn: string) =>
      Object.values(
        (await secretsClient().send(new DescribeSecretCommand({ SecretId: secretArn }))).VersionIdsToStages ??
          {},
      )
        .flat()
        .sort();

    async function createAndDeleteWith(masterArn: string, username: string) {
      const properties = { MasterSecretArn: masterArn, Username: username, Database: h.master.database };
      const created = await h.send('Create', { properties, logicalResourceId: username.split('_')[0] });
      expect(created.Reason).toBe('OK');
      const login = await h.storedLogin(created.Data?.SecretArn ?? '');
      expect(await db.tryAs(login, 'SELECT 1')).toBe('ok');
      // The Delete logs in the same way.
      const deleted = await h.send('Delete', {
        properties,
        physicalResourceId: created.PhysicalResourceId,
        logicalResourceId: username.split('_')[0],
      });
      expect(deleted.Status).toBe('SUCCESS');
      expect(await db.userExists(username)).toBe(false);
    }

    it('falls back to AWSPENDING when AWSCURRENT does not log in', async () => {
      const masterArn = await putMaster(masterValue(wrongPassword()));
      await putVersion(masterArn, h.master.password, ['AWSPENDING']);
      expect(await stagesOf(masterArn)).toEqual(['AWSCURRENT', 'AWSPENDING']);
      await createAndDeleteWith(masterArn, `pending_${run}`);
    });

    it('falls back to AWSPREVIOUS when AWSCURRENT does not log in', async () => {
      const masterArn = await putMaster(masterValue(h.master.password));
      // A new AWSCURRENT the database never got; the right one becomes AWSPREVIOUS.
      await putVersion(masterArn, wrongPassword());
      expect(await stagesOf(masterArn)).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
      await createAndDeleteWith(masterArn, `previous_${run}`);
    });

    it('fails naming the stages it tried when none logs in', async () => {
      const masterArn = await putMaster(masterValue(wrongPassword()));
      await putVersion(masterArn, wrongPassword(), ['AWSPENDING']);
      const response = await h.send('Create', {
        properties: { MasterSecretArn: masterArn, Username: `nobody_${run}`, Database: h.master.database },
        logicalResourceId: 'nobody',
      });
      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toMatch(/no version of master secret .* \(AWSCURRENT, AWSPENDING\) logs in/);
      expect(await db.userExists(`nobody_${run}`)).toBe(false);
    });
  },
);
