import { RETURN_BORROWED_ROLES } from '../../../../lib/engines/postgresql/borrow-statements';
import { grant } from '../../../../lib/engines/postgresql/grant-statements';
import { createUser, dropUser } from '../../../../lib/engines/postgresql/statements';
import { Password } from '../../../../lib/secrets/password';

describe('PostgreSQL statements', () => {
  it('sends a SCRAM verifier, never the password itself', () => {
    const statement = createUser('app', new Password('plain-sentinel-password'));
    expect(statement.sensitive).toBe(true);
    expect(statement.sql).toMatch(/^CREATE ROLE "app" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(statement.sql).not.toContain('plain-sentinel-password');
  });

  it('grants readonly on existing and future tables of each schema', () => {
    const sql = grant('app', { database: 'db', schemas: ['public'], privileges: ['SELECT'] }).map(
      (s) => s.sql,
    );
    expect(sql.find((s) => s.includes("'GRANT SELECT ON %s TO %I'"))).toMatch(
      /nspname = 'public'.*relowner/s,
    );
    expect(sql).toContain('ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT SELECT ON TABLES TO "app"');
  });

  it('borrows the privileges of the roles a drop acts for, and only for the transaction', () => {
    const statements = dropUser('app', 'heir');
    const borrowing = statements.filter((s) => s.borrowsRoles);
    // The user, the grantors of its privileges, and the heir: each noted for RETURN_BORROWED_ROLES.
    expect(borrowing).toHaveLength(3);
    for (const statement of borrowing) {
      expect(statement.sql).toContain('WITH INHERIT TRUE, SET FALSE');
      expect(statement.sql).toContain("set_config('dbauth.borrowed_roles'");
    }
    expect(statements.map((s) => s.sql).slice(-3)).toEqual([
      'REASSIGN OWNED BY "app" TO "heir"',
      'DROP OWNED BY "app"',
      'DROP ROLE "app"',
    ]);
    expect(RETURN_BORROWED_ROLES.sql).toMatch(/REVOKE %I FROM CURRENT_USER/);
  });

  it('marks the grants that borrow a creator role, so the session gives it back', () => {
    const statements = grant('app', {
      database: 'db',
      schemas: ['public'],
      privileges: ['SELECT', 'CREATE'],
    });
    expect(statements.filter((s) => s.borrowsRoles).map((s) => s.sql)).toEqual([
      expect.stringContaining('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT %s ON %s TO %I'),
      expect.stringContaining(
        'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT SELECT ON TABLES TO %I',
      ),
    ]);
  });
});
