import { randomUUID } from 'node:crypto';
import type { CustomResourceDeps } from '../../../handlers/custom-resource';
import type { CustomResourceResponse } from '../../../lib/cfn/event';
import { parseAppSecret } from '../../../lib/secrets/secret-value';
import { allSecretNames, secretStore, TEST_STACK_PREFIX } from './aws';
import { OutputCapture, scanEachTest } from './capture';
import { cfnEvent } from './cfn-events';
import { CfnResponseServer } from './cfn-server';
import { customResourceHandler, lambdaContext } from './deps';
import { postgres, type TestDatabase } from './databases';
import type { PgMaster } from './postgres';

export type RequestType = 'Create' | 'Update' | 'Delete';

export interface SendOptions {
  properties: Record<string, unknown>;
  oldProperties?: Record<string, unknown>;
  physicalResourceId?: string;
  requestId?: string;
  logicalResourceId?: string;
  deps?: Partial<CustomResourceDeps>;
  remainingMs?: number;
}

/** A login to a database, on any engine (the name predates MariaDB). */
export interface PgLogin {
  user: string;
  password: string;
  database: string;
}

/**
 * One test file's world: a CloudFormation response server, captured output, a master user
 * with its own database and master secret, and a stack id of its own. It remembers every
 * password the file used, so each test can prove none of them was ever printed or sent
 * (`scanEachTest`).
 */
export class CustomResourceHarness {
  readonly server = new CfnResponseServer();
  readonly capture = new OutputCapture();
  readonly stackName: string;
  readonly stackId: string;
  master!: PgMaster;
  masterArn!: string;
  private readonly passwords: string[] = [];

  constructor(
    name: string,
    /** The server the harness's master user lives on. */
    readonly db: TestDatabase = postgres,
  ) {
    this.stackName = `${TEST_STACK_PREFIX}${name}-${randomUUID().slice(0, 8)}`;
    this.stackId = `arn:aws:cloudformation:us-east-1:123456789012:stack/${this.stackName}/${randomUUID()}`;
  }

  async setUp(): Promise<void> {
    await this.server.start();
    this.master = await this.db.createMaster();
    this.masterArn = await this.db.putMasterSecret(this.master);
    this.remember(this.master.password);
    this.capture.start();
  }

  async tearDown(): Promise<void> {
    this.capture.stop();
    await this.server.stop();
  }

  /** A password the tests used: it must appear in no output and no response body. */
  remember(password: string): void {
    this.passwords.push(password);
  }

  /** Sends one request through the real handler; checks CloudFormation got the same answer. */
  async send(type: RequestType, options: SendOptions): Promise<CustomResourceResponse> {
    const requestId = options.requestId ?? randomUUID();
    const event = cfnEvent(type, this.server, {
      properties: options.properties,
      requestId,
      stackId: this.stackId,
      logicalResourceId: options.logicalResourceId ?? 'AppUser',
      oldProperties: options.oldProperties,
      physicalResourceId: options.physicalResourceId,
    });
    const before = this.server.received.length;
    const response = await customResourceHandler(options.deps)(event, lambdaContext(options.remainingMs));
    const delivered = this.server.received.slice(before).map((r) => r.body);
    expect(delivered).toEqual([response]);
    return response;
  }

  /**
   * Creates a user (logical id: its name up to the first `_`), expects SUCCESS, and returns its
   * properties, the response and the login stored in its secret.
   */
  async create(username: string, extra: Record<string, unknown> = {}) {
    const properties = this.props(username, extra);
    const response = await this.send('Create', { properties, logicalResourceId: username.split('_')[0] });
    expect(response.Status).toBe('SUCCESS');
    return { properties, response, login: await this.storedLogin(response.Data?.SecretArn ?? '') };
  }

  /** Properties for a user in the harness's database, with its master secret. */
  props(username: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { MasterSecretArn: this.masterArn, Username: username, Database: this.master.database, ...extra };
  }

  /** The login stored in a created user's secret (AWSCURRENT), remembered for the leak check. */
  async storedLogin(secretArn: string): Promise<PgLogin> {
    const value = parseAppSecret(
      secretArn,
      await secretStore().getString(secretArn, { stage: 'AWSCURRENT' }),
    );
    this.remember(value.password.reveal());
    return { user: value.username, password: value.password.reveal(), database: value.dbname ?? '' };
  }

  get masterLogin(): PgLogin {
    return { user: this.master.username, password: this.master.password, database: this.master.database };
  }

  /** The secret as dbauth sees it: undefined when gone or scheduled for deletion. */
  secretOf(secretArn: string) {
    return secretStore().find(secretArn);
  }

  /** Secrets (deleted ones included) whose default name puts them in this stack (and resource). */
  async stackSecrets(logicalResourceId = ''): Promise<string[]> {
    const prefix = `dbauth/${this.stackName}/${logicalResourceId}`;
    return allSecretNames(prefix);
  }

  /**
   * Has every test of the enclosing `describe` scan its own output and the CloudFormation
   * responses it caused (and the bodies `more` gives, published events say) for every password
   * the file used (support/capture.ts `scanEachTest`).
   * Call it once, beside `beforeAll(() => h.setUp())`.
   */
  scanEachTest(more: () => string[] | Promise<string[]> = () => []): void {
    scanEachTest(
      this.capture,
      () => this.passwords,
      async () => [...this.server.received.map((r) => r.raw), ...(await more())],
    );
  }
}
