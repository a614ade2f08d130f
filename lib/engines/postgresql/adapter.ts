import type { Password } from '../../secrets/password';
import { statementLimitMs } from '../../deadline';
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
import { DatabaseError, MasterCannotManageUserError, UserOwnsObjectsError } from '../errors';
import { CLONE_SUFFIX, checkIdentifier, suffixWithin } from '../identifiers';
import { PostgresAudit } from './audit-session';
import { RETURN_BORROWED_ROLES } from './borrow-statements';
import { connectPostgres, type PostgresConnection } from './driver';
import { grant, missingPrivileges, revoke, revokeConnect } from './grant-statements';
import * as sql from './statements';

const MAX_IDENTIFIER = 63;
// Roles of PostgreSQL itself and of RDS/Aurora, and SQL keywords that name roles.
const RESERVED_ROLES =
  /^(pg_.*|rds.*|postgres|public|none|current_user|current_role|session_user|azure_.*)$/i;
const INSUFFICIENT_PRIVILEGE = '42501';
const UNDEFINED_OBJECT = '42704';

class PostgresSession implements EngineSession {
  readonly grantScope = 'schema';
  readonly cloneModel = 'member';
  private readonly audit: PostgresAudit;

  constructor(
    private readonly connection: PostgresConnection,
    readonly username: string,
    private readonly timeouts: Timeouts,
  ) {
    this.audit = new PostgresAudit(connection, username, (what, statements) =>
      this.runSerialized(what, statements),
    );
  }

  // The drift audit's reads and repairs (audit-session.ts).
  inspectAccounts: AuditSession['inspectAccounts'] = (logins) => this.audit.inspectAccounts(logins);
  auditGrants: AuditSession['auditGrants'] = (declarations) => this.audit.auditGrants(declarations);
  compareClone: AuditSession['compareClone'] = (user, clone) => this.audit.compareClone(user, clone);
  currentRoles: AuditSession['currentRoles'] = () => this.audit.currentRoles();
  revokeGrants: AuditSession['revokeGrants'] = (login, extras) => this.audit.revokeGrants(login, extras);
  requireTls: AuditSession['requireTls'] = () => this.audit.requireTls();

  async userExists(username: string): Promise<boolean> {
    return (await this.connection.rows('look up role', sql.roleExists(username))).length > 0;
  }

  // Serialized like grants: two sessions changing one role at once fail with "tuple
  // concurrently updated", and two events about one new secret both create its user.
  async createUser(username: string, password: Password): Promise<void> {
    await this.serialized(async () => {
      if (await this.userExists(username))
        await this.connection.run('set password', sql.setPassword(username, password));
      else await this.connection.run('create role', sql.createUser(username, password));
    });
  }

  async setPassword(username: string, password: Password): Promise<void> {
    await this.serialized(() => this.connection.run('set password', sql.setPassword(username, password)));
  }

  // In a transaction of its own, so its limits end at the deadline like every other change.
  async changeOwnPassword(password: Password): Promise<void> {
    await this.begin();
    try {
      await this.connection.run('change own password', sql.changeOwnPassword(password));
      await this.connection.run('commit', sql.COMMIT);
    } catch (error) {
      await this.connection.rollback();
      throw error;
    }
  }

  async cloneUser(source: string, clone: string, password: Password): Promise<void> {
    await this.createUser(clone, password);
    await this.syncClone(source, clone);
  }

  // Membership carries every grant of the source, now and later: nothing to copy.
  async syncClone(source: string, clone: string): Promise<void> {
    await this.runSerialized('make clone act as user', sql.cloneMembership(source, clone));
  }

  async grant(username: string, grants: GrantSet): Promise<void> {
    await this.runSerialized('grant', grant(username, grants));
  }

  async revoke(
    username: string,
    grants: GrantSet,
    options: { schemaAccess: boolean; databaseAccess?: boolean },
  ): Promise<void> {
    await this.runSerialized('revoke', [
      ...revoke(username, grants, options.schemaAccess),
      ...(options.databaseAccess ? [revokeConnect(username, grants.database)] : []),
    ]);
  }

  async dropUser(username: string, options: DropOptions): Promise<void> {
    if (!(await this.userExists(username))) return;
    const [row] = await this.connection.rows<{ owned: number }>(
      'count owned objects',
      sql.ownedObjects(username),
    );
    const owned = row?.owned ?? 0;
    if (owned > 0 && !options.reassignOwnedTo && !options.dropOwnedObjects) {
      throw new UserOwnsObjectsError(username, owned);
    }
    try {
      await this.assertCanManage(username);
      const heir = options.reassignOwnedTo;
      if (heir !== undefined && heir !== this.username) await this.assertCanManage(heir);
      await this.runSerialized('drop role', sql.dropUser(username, heir));
    } catch (error) {
      // Dropped meanwhile by another session (a Create's cleanup racing its rollback): done.
      if (
        error instanceof DatabaseError &&
        error.sqlState === UNDEFINED_OBJECT &&
        !(await this.userExists(username))
      )
        return;
      throw error;
    }
  }

  // Under the lock role changes take (a concurrent ALTER ROLE fails the probe otherwise).
  async assertCanManage(username: string): Promise<void> {
    await this.begin();
    try {
      await this.connection.run('wait for other dbauth changes', sql.SERIALIZE_CHANGES);
      await this.connection.run('check the master may alter the role', sql.probeManage(username));
    } catch (error) {
      if (error instanceof DatabaseError && error.sqlState === INSUFFICIENT_PRIVILEGE)
        throw new MasterCannotManageUserError(this.username, username);
      throw error;
    } finally {
      await this.connection.rollback();
    }
  }

  async proveAccess(grants: GrantSet): Promise<void> {
    for (const check of missingPrivileges(grants)) {
      const missing = await this.connection.rows<{ missing: string }>('check privileges', check);
      if (missing.length > 0) {
        throw new DatabaseError(`${this.username} lacks ${missing.map((m) => m.missing).join(', ')}`);
      }
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Starts a transaction whose server-side limits end at the deadline. */
  private async begin(): Promise<void> {
    await this.connection.run('begin', sql.begin(statementLimitMs(this.timeouts)));
  }

  /**
   * Runs `statements` in one transaction, after every other dbauth session in this database
   * finished its own: concurrent GRANTs on one schema or database fail in PostgreSQL with
   * "tuple concurrently updated" (XX000), which a stack creating several users at once hits.
   */
  private async runSerialized(what: string, statements: sql.Statement[]): Promise<void> {
    const borrows = statements.some((statement) => statement.borrowsRoles);
    await this.serialized(async () => {
      for (const statement of statements) await this.connection.run(what, statement);
      if (borrows) await this.connection.run(what, RETURN_BORROWED_ROLES);
    });
  }

  /** Runs `work` in a transaction that waits for every other dbauth change on the server. */
  private async serialized(work: () => Promise<void>): Promise<void> {
    await this.begin();
    try {
      await this.connection.run('wait for other dbauth changes', sql.SERIALIZE_CHANGES);
      await work();
      await this.connection.run('commit', sql.COMMIT);
    } catch (error) {
      await this.connection.rollback();
      throw error;
    }
  }
}

export const postgresql: EngineAdapter<'postgresql'> = {
  family: 'postgresql',
  defaultDatabase: 'postgres',
  catalogsPerDatabase: true,

  validateUsername(username) {
    checkIdentifier('user name', username, {
      pattern: /^[a-z_][a-z0-9_]*$/,
      maxLength: MAX_IDENTIFIER,
      describe: 'lower-case letters, digits and underscores, starting with a letter or underscore',
      reserved: RESERVED_ROLES,
    });
  },

  validateDatabaseName(database) {
    checkIdentifier('database name', database, {
      pattern: /^[A-Za-z_][A-Za-z0-9_-]*$/,
      maxLength: MAX_IDENTIFIER,
      describe: 'letters, digits, underscores and hyphens, starting with a letter or underscore',
    });
  },

  validateSchemaName(schema) {
    checkIdentifier('schema name', schema, {
      pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
      maxLength: MAX_IDENTIFIER,
      describe: 'letters, digits and underscores, starting with a letter or underscore',
      reserved: /^(pg_.*|information_schema)$/i,
    });
  },

  cloneUsername(username) {
    return suffixWithin(username, CLONE_SUFFIX, MAX_IDENTIFIER);
  },

  async connect(endpoint: Endpoint, login: Login, timeouts: Timeouts): Promise<EngineSession> {
    return new PostgresSession(await connectPostgres(endpoint, login, timeouts), login.username, timeouts);
  },
};
