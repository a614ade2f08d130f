import type {
  AccountState,
  AuditSession,
  CloneComparison,
  ExtraGrant,
  GrantAudit,
  GrantDeclaration,
  RevokeOutcome,
} from '../audit';
import { sortByText } from '../audit';
import { DatabaseError } from '../errors';
import {
  compareCloneAccount,
  extraAccount,
  extraElsewhere,
  extraRows,
  missingDefaults,
  type ElsewhereRow,
  type GrantRow,
} from './audit';
import * as sql from './audit-statements';
import type { PostgresConnection } from './driver';
import { sequencePrivileges, tablePrivileges } from './grant-statements';
import type { Statement } from './statements';

interface AccountRow {
  login: string;
  can_login: boolean;
  expired: boolean;
  elevated: string[];
  member_of: string[];
  acts_as: string | null;
}

/**
 * The audit's reads and repairs on one PostgreSQL session (logged in as the master, in one
 * database). `run` is the session's own serialized transaction, so repairs wait for other
 * dbauth changes and give back what they borrowed.
 */
export class PostgresAudit implements AuditSession {
  readonly cloneModel = 'member';

  constructor(
    private readonly connection: PostgresConnection,
    private readonly master: string,
    private readonly run: (what: string, statements: Statement[]) => Promise<void>,
  ) {}

  async inspectAccounts(logins: string[]): Promise<AccountState[]> {
    const rows = await this.connection.rows<AccountRow>('read accounts', sql.accounts(logins));
    return logins.map((login) => {
      const row = rows.find((r) => r.login === login);
      return {
        login,
        exists: row !== undefined,
        canLogin: row?.can_login ?? false,
        locked: false,
        expired: row?.expired ?? false,
        elevated: row?.elevated ?? [],
        memberOf: row?.member_of ?? [],
        actsAs: row?.acts_as || undefined,
      };
    });
  }

  async auditGrants(declarations: GrantDeclaration[]): Promise<Map<string, GrantAudit>> {
    const logins = declarations.map((d) => d.login);
    const rows = await this.connection.rows<GrantRow>('read grants', sql.grantRows(logins));
    const elsewhere = await this.connection.rows<ElsewhereRow>(
      'read grants elsewhere',
      sql.grantsElsewhere(logins),
    );
    const accounts = await this.inspectAccounts(logins);
    const schemas = [...new Set(declarations.flatMap((d) => d.grants?.schemas ?? []))];
    const declaredCreators = declarations
      .filter((d) => d.grants?.privileges.includes('CREATE'))
      .map((d) => d.login);
    const creators =
      declaredCreators.length > 0
        ? await this.connection.rows<{ login: string; schema: string }>(
            'find logins that create tables',
            sql.creators(declaredCreators, schemas),
          )
        : [];
    const audits = new Map<string, GrantAudit>();
    for (const declaration of declarations) {
      const { login, grants } = declaration;
      const own = rows.filter((r) => r.login === login);
      const account = accounts.find((a) => a.login === login);
      const extra = [
        ...extraRows(own, grants),
        ...extraElsewhere(elsewhere.filter((r) => r.login === login)),
        ...(account ? extraAccount(account, declaration.cloneOf) : []),
      ];
      const missing: string[] = [];
      if (grants) {
        const effect = await this.connection.rows<{ missing: string }>(
          'check privileges',
          sql.missingByEffect(
            login,
            grants.schemas,
            tablePrivileges(grants.privileges),
            sequencePrivileges(grants.privileges),
            grants.privileges.includes('CREATE'),
          ),
        );
        missing.push(...effect.map((r) => r.missing));
        const others = creators.filter((c) => c.login !== login);
        missing.push(...missingDefaults(own, grants, this.master, others));
      }
      audits.set(login, { missing: [...new Set(missing)].sort(), extra: sortByText(extra) });
    }
    return audits;
  }

  async compareClone(user: string, clone: string): Promise<CloneComparison> {
    const [account] = await this.inspectAccounts([clone]);
    if (!account?.exists)
      return { differs: 'role', expected: [`member of ${user}`, `role=${user} at login`], found: [] };
    return compareCloneAccount(user, account);
  }

  async currentRoles(): Promise<{ current: string; session: string }> {
    const [row] = await this.connection.rows<{ current: string; session: string }>(
      'read current role',
      sql.CURRENT_ROLES,
    );
    return { current: row?.current ?? '', session: row?.session ?? '' };
  }

  // One transaction per grant: one the master may not revoke leaves the others revoked.
  async revokeGrants(login: string, extras: ExtraGrant[]): Promise<RevokeOutcome> {
    const outcome: RevokeOutcome = { revoked: [], failed: [] };
    for (const extra of extras) {
      if (!extra.recipe) {
        outcome.failed.push(extra.text);
        continue;
      }
      try {
        await this.run('revoke extra grant', sql.revokeExtra(login, extra.recipe as sql.PostgresRevocable));
        outcome.revoked.push(extra.text);
      } catch (error) {
        if (!(error instanceof DatabaseError)) throw error;
        outcome.failed.push(extra.text);
      }
    }
    return outcome;
  }

  // PostgreSQL asks for TLS in pg_hba.conf, not per role: nothing a master can set.
  requireTls(): Promise<void> {
    return Promise.resolve();
  }
}
