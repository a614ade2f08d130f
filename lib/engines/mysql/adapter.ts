import type { Password } from '../../secrets/password';
import type { AuditSession } from '../audit';
import type {
  DropOptions,
  Endpoint,
  EngineAdapter,
  EngineSession,
  GrantSet,
  Login,
  Timeouts,
} from '../engine';
import { DatabaseError, InvalidIdentifierError, UserOwnsObjectsError } from '../errors';
import { CLONE_SUFFIX, checkIdentifier, suffixWithin } from '../identifiers';
import { MysqlAudit } from './audit-session';
import { connectMysql, type MysqlConnection } from './driver';
import { NOTHING_TO_REVOKE } from './driver-errors';
import { parseGrants, syncStatements } from './grants';
import * as sql from './statements';

/**
 * 32 is MySQL's limit since 5.7.8 (and Aurora MySQL's); MariaDB 10.x takes 128. The family
 * uses 32, so a name that works on one server works on all, and clone names are the same.
 */
export const MAX_USERNAME = 32;
const MAX_DATABASE = 64;
const DEFAULT_USER_HOST = '%';
// The server's own accounts, RDS's, and names that are keywords in account clauses.
const RESERVED_USERS = /^(root|rds.*|mysql|mariadb_sys|public|none|current_user|current_role)$/i;
// CREATE USER of a user that exists (ER_CANNOT_USER).
const USER_EXISTS = 'ER_CANNOT_USER';

class MysqlSession implements EngineSession {
  readonly grantScope = 'database';

  readonly cloneModel = 'copy';
  private readonly flavour: sql.Flavour;
  private readonly audit: MysqlAudit;

  constructor(
    private readonly connection: MysqlConnection,
    readonly username: string,
    private readonly userHost: string,
    /** Users this session creates must use TLS: the session itself does. */
    private readonly tlsForNewUsers: boolean,
  ) {
    this.flavour = connection.flavour;
    this.audit = new MysqlAudit(connection, userHost);
  }

  // The drift audit's reads and repairs (audit-session.ts).
  inspectAccounts: AuditSession['inspectAccounts'] = (logins) => this.audit.inspectAccounts(logins);
  auditGrants: AuditSession['auditGrants'] = (declarations) => this.audit.auditGrants(declarations);
  compareClone: AuditSession['compareClone'] = (user, clone) => this.audit.compareClone(user, clone);
  currentRoles: AuditSession['currentRoles'] = () => this.audit.currentRoles();
  revokeGrants: AuditSession['revokeGrants'] = (login, extras) => this.audit.revokeGrants(login, extras);
  requireTls: AuditSession['requireTls'] = (login) => this.audit.requireTls(login);

  async userExists(username: string): Promise<boolean> {
    return (await this.connection.rows('look up user', sql.userExists(username, this.userHost))).length > 0;
  }

  async createUser(username: string, password: Password): Promise<void> {
    await this.createWith(username, password, this.tlsForNewUsers);
  }

  async setPassword(username: string, password: Password): Promise<void> {
    await this.connection.run(
      'set password',
      sql.setPassword(username, this.userHost, password, this.flavour),
    );
  }

  async changeOwnPassword(password: Password): Promise<void> {
    await this.connection.run('change own password', sql.changeOwnPassword(password, this.flavour));
  }

  /** The clone is an account of its own with copies of the source's grants (MySQL has no membership to lean on). */
  async cloneUser(source: string, clone: string, password: Password): Promise<void> {
    await this.createWith(clone, password, this.tlsForNewUsers || (await this.requiresTls(source)));
    await this.syncClone(source, clone);
  }

  async syncClone(source: string, clone: string): Promise<void> {
    const wanted = parseGrants(await this.grantsOf(source));
    const has = parseGrants(await this.grantsOf(clone));
    for (const statement of syncStatements(wanted, has, sql.account(clone, this.userHost)))
      await this.connection.run('copy grant to clone', statement, NOTHING_TO_REVOKE);
  }

  async grant(username: string, grants: GrantSet): Promise<void> {
    // Writing to the grant tables is becoming anyone: never grant on them.
    if (/^(mysql|information_schema|performance_schema|sys)$/i.test(grants.database)) {
      throw new InvalidIdentifierError(
        'database name',
        `${grants.database} is the server's own; set Database to the application's database`,
      );
    }
    for (const statement of sql.grant(username, this.userHost, grants))
      await this.connection.run('grant', statement);
  }

  // Schemas mean nothing inside a MySQL database, so neither does schemaAccess.
  async revoke(username: string, grants: GrantSet): Promise<void> {
    for (const statement of sql.revoke(username, this.userHost, grants))
      await this.connection.run('revoke', statement, NOTHING_TO_REVOKE);
  }

  // MySQL accounts have no administrator of their own: the CREATE USER privilege an RDS master
  // holds covers every account but those with privileges it lacks (MySQL 8's SYSTEM_USER),
  // and those the server refuses at the first statement, before it changes anything.
  assertCanManage(): Promise<void> {
    return Promise.resolve();
  }

  async dropUser(username: string, options: DropOptions): Promise<void> {
    if (!(await this.userExists(username))) return;
    const defined = await this.connection.rows<{ kind: string; db: string; name: string }>(
      'find objects the user defines',
      sql.definedObjects(username, this.userHost),
    );
    if (defined.length > 0 && !options.dropOwnedObjects) {
      throw new UserOwnsObjectsError(
        username,
        defined.length,
        `user ${username} is the DEFINER of ${defined.length} view(s), routine(s), trigger(s) or event(s), which stop working without it; ` +
          'set DropOwnedObjects: true to drop them with the user (MySQL cannot hand them to ReassignOwnedTo: recreate them under another definer first)',
      );
    }
    for (const object of defined) {
      const statement = sql.dropDefinedObject(object);
      if (statement) await this.connection.run('drop object the user defines', statement);
    }
    await this.connection.run('drop user', sql.dropUser(username, this.userHost));
  }

  async proveAccess(grants: GrantSet): Promise<void> {
    const rows = await this.connection.rows<{ privilege: string }>(
      'check privileges',
      sql.heldPrivileges(grants.database),
    );
    const held = new Set(rows.map((r) => r.privilege));
    const missing = sql.mysqlPrivileges(grants.privileges).filter((p) => !held.has(p));
    if (missing.length > 0) {
      throw new DatabaseError(`${this.username} lacks ${missing.join(', ')} on database ${grants.database}`);
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private async createWith(username: string, password: Password, requireTls: boolean): Promise<void> {
    const setPassword = sql.setPassword(username, this.userHost, password, this.flavour, requireTls);
    if (await this.userExists(username)) return this.connection.run('set password', setPassword);
    try {
      await this.connection.run(
        'create user',
        sql.createUser(username, this.userHost, password, requireTls, this.flavour),
      );
    } catch (error) {
      // Made between the check and the CREATE (two events for one new secret): same outcome.
      if (!(error instanceof DatabaseError && error.code === USER_EXISTS)) throw error;
      await this.connection.run('set password', setPassword);
    }
  }

  private async grantsOf(username: string): Promise<string[]> {
    const rows = await this.connection.rows('read grants', sql.showGrants(username, this.userHost));
    return rows.map((row) => String(Object.values(row)[0] ?? ''));
  }

  // SHOW CREATE USER holds the password hash: only whether it says REQUIRE is read from it.
  private async requiresTls(username: string): Promise<boolean> {
    const [row] = await this.connection.rows('read user', sql.showCreateUser(username, this.userHost));
    const text = String(Object.values(row ?? {})[0] ?? '').replace(/'(?:[^'\\]|\\.)*'/g, "''");
    return /\sREQUIRE\s+(SSL|X509|CIPHER|ISSUER|SUBJECT)\b/i.test(text);
  }
}

export const mysql: EngineAdapter<'mysql'> = {
  family: 'mysql',
  defaultDatabase: 'mysql',
  catalogsPerDatabase: false,

  validateUsername(username) {
    checkIdentifier('user name', username, {
      pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
      maxLength: MAX_USERNAME,
      describe: 'letters, digits and underscores, starting with a letter or underscore',
      reserved: RESERVED_USERS,
    });
  },

  validateDatabaseName(database) {
    checkIdentifier('database name', database, {
      pattern: /^[A-Za-z_][A-Za-z0-9_-]*$/,
      maxLength: MAX_DATABASE,
      describe: 'letters, digits, underscores and hyphens, starting with a letter or underscore',
      // `mysql` stays valid: it is where a master logs in when its secret names no database.
      reserved: /^(information_schema|performance_schema|sys)$/i,
    });
  },

  // MySQL has no schemas inside a database; names are still checked, so bad input fails alike.
  validateSchemaName(schema) {
    checkIdentifier('schema name', schema, {
      pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
      maxLength: MAX_DATABASE,
      describe: 'letters, digits and underscores, starting with a letter or underscore',
    });
  },

  cloneUsername(username) {
    return suffixWithin(username, CLONE_SUFFIX, MAX_USERNAME);
  },

  async connect(endpoint: Endpoint, login: Login, timeouts: Timeouts): Promise<EngineSession> {
    const userHost = endpoint.userHost ?? DEFAULT_USER_HOST;
    checkIdentifier('user host pattern (DBAUTH_MYSQL_USER_HOST)', userHost, {
      pattern: /^[A-Za-z0-9.%_:-]+$/,
      maxLength: 255,
      describe: 'a host name, an IP address or a pattern of them with % and _',
    });
    const connection = await connectMysql(endpoint, login, timeouts);
    return new MysqlSession(connection, login.username, userHost, endpoint.tls.mode !== 'disable');
  },
};
