import {
  changeOwnPassword,
  createUser,
  grant,
  nativePasswordHash,
  revoke,
  setPassword,
} from '../../../../lib/engines/mysql/statements';
import { Password } from '../../../../lib/secrets/password';

describe('MySQL statements', () => {
  it('sends MySQL the password as an escaped literal and marks the statement sensitive', () => {
    const statement = createUser('app', '%', new Password("it's-a\\sentinel"), false, 'mysql');
    expect(statement.sensitive).toBe(true);
    expect(statement.sql).toBe(`CREATE USER 'app'@'%' IDENTIFIED BY 'it\\'s-a\\\\sentinel'`);
  });

  it('sends MariaDB only the mysql_native_password hash, never the password', () => {
    // The stored form of 'password' that MySQL's and MariaDB's documentation show.
    expect(nativePasswordHash(new Password('password'))).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
    const statements = [
      createUser('app', '%', new Password('password'), false, 'mariadb'),
      setPassword('app', '%', new Password('password'), 'mariadb'),
      changeOwnPassword(new Password('password'), 'mariadb'),
    ];
    for (const statement of statements) {
      expect(statement.sql).toContain('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
      expect(statement.sql).not.toMatch(/'password'/);
    }
  });

  it('requires TLS when asked, and never writes REQUIRE NONE', () => {
    expect(createUser('app', '%', new Password('pw'), true, 'mysql').sql).toMatch(/ REQUIRE SSL$/);
    expect(setPassword('app', '10.0.%', new Password('pw'), 'mysql').sql).toBe(
      `ALTER USER 'app'@'10.0.%' IDENTIFIED BY 'pw'`,
    );
  });

  it('grants presets on the whole database, escaping GRANT wildcards in its name', () => {
    const set = { database: 'app_db', schemas: ['ignored'], privileges: ['SELECT', 'TRUNCATE'] as const };
    expect(grant('app', '%', { ...set, privileges: [...set.privileges] }).map((s) => s.sql)).toEqual([
      "GRANT SELECT, DROP ON `app\\_db`.* TO 'app'@'%'",
    ]);
    expect(revoke('app', '%', { ...set, privileges: ['CREATE'] }).map((s) => s.sql)).toEqual([
      "REVOKE CREATE, ALTER, INDEX, CREATE VIEW, SHOW VIEW ON `app\\_db`.* FROM 'app'@'%'",
    ]);
  });
});
