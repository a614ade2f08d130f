import type {
  AccountState,
  AuditSession,
  CloneComparison,
  ExtraGrant,
  GrantAudit,
  GrantDeclaration,
  RevokeOutcome,
} from '../audit';
import { DatabaseError } from '../errors';
import { compareCopies, diffGrants, requiresTlsOf, type MysqlRevocable } from './audit';
import * as auditSql from './audit-statements';
import type { MysqlConnection } from './driver';
import { NOTHING_TO_REVOKE } from './driver-errors';
import * as sql from './statements';

interface AccountRow {
  login: string;
  ssl_type: unknown;
  plugin: unknown;
  locked: unknown;
  expired: unknown;
}

const truthy = (value: unknown) => value === true || value === 1 || value === '1' || value === 'true';

/** The audit's reads and repairs on one MySQL-family session (logged in as the master). */
export class MysqlAudit implements AuditSession {
  readonly cloneModel = 'copy';

  constructor(
    private readonly connection: MysqlConnection,
    private readonly userHost: string,
  ) {}

  async inspectAccounts(logins: string[]): Promise<AccountState[]> {
    const rows =
      logins.length === 0
        ? []
        : await this.connection.rows<AccountRow>(
            'read accounts',
            auditSql.accounts(logins, this.userHost, this.connection.flavour),
          );
    return logins.map((login) => {
      const row = rows.find((r) => r.login === login);
      const locked = truthy(row?.locked);
      return {
        login,
        exists: row !== undefined,
        canLogin: row !== undefined && !locked,
        locked,
        expired: truthy(row?.expired),
        elevated: [],
        memberOf: [],
        ...(row ? { requiresTls: requiresTlsOf(row.ssl_type), plugin: String(row.plugin ?? '') } : {}),
      };
    });
  }

  // A clone's grants are a copy of its user's: compareClone judges them, not the declaration.
  async auditGrants(declarations: GrantDeclaration[]): Promise<Map<string, GrantAudit>> {
    const audits = new Map<string, GrantAudit>();
    for (const { login, grants } of declarations) {
      if (!grants) continue;
      audits.set(login, diffGrants(await this.grantsOf(login), grants));
    }
    return audits;
  }

  async compareClone(user: string, clone: string): Promise<CloneComparison> {
    const [mine, its] = await this.inspectAccounts([user, clone]);
    return compareCopies(
      { lines: await this.grantsOf(user), requiresTls: mine?.requiresTls ?? false },
      { lines: await this.grantsOf(clone), requiresTls: its?.requiresTls ?? false },
    );
  }

  async currentRoles(): Promise<{ current: string; session: string }> {
    const [row] = await this.connection.rows<{ current: string; session: string }>(
      'read current user',
      auditSql.CURRENT_ROLES,
    );
    return { current: row?.current ?? '', session: row?.session ?? '' };
  }

  async revokeGrants(login: string, extras: ExtraGrant[]): Promise<RevokeOutcome> {
    const grantee = sql.account(login, this.userHost);
    const outcome: RevokeOutcome = { revoked: [], failed: [] };
    for (const extra of extras) {
      const recipe = extra.recipe as MysqlRevocable | undefined;
      try {
        if (!recipe) throw new DatabaseError('no way to revoke it');
        const statement =
          recipe.kind === 'proxy'
            ? auditSql.revokeProxy(recipe.on, grantee)
            : sql.revokeAtom(recipe.atom, grantee);
        await this.connection.run('revoke extra grant', statement, NOTHING_TO_REVOKE);
        outcome.revoked.push(extra.text);
      } catch (error) {
        if (!(error instanceof DatabaseError)) throw error;
        outcome.failed.push(extra.text);
      }
    }
    return outcome;
  }

  async requireTls(login: string): Promise<void> {
    await this.connection.run('require TLS', auditSql.requireSsl(sql.account(login, this.userHost)));
  }

  private async grantsOf(login: string): Promise<string[]> {
    const rows = await this.connection.rows('read grants', sql.showGrants(login, this.userHost));
    return rows.map((row) => String(Object.values(row)[0] ?? ''));
  }
}
