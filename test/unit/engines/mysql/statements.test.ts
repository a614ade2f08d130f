import { mysql } from '../../../../lib/engines/mysql/adapter';
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

  it('refuses injection attempts, reserved names and names past 32 characters', () => {
    expect(() => mysql.validateUsername("x'@'%'; DROP USER root; --")).toThrow(/invalid user name/);
    expect(() => mysql.validateUsername('root')).toThrow(/reserved/);
    expect(() => mysql.validateUsername('rdsadmin')).toThrow(/reserved/);
    expect(() => mysql.validateUsername('a'.repeat(33))).toThrow(/longer than 32/);
    expect(() => mysql.validateDatabaseName('information_schema')).toThrow(/reserved/);
  });

  it('keeps the clone name within 32 characters: cut, plus a hash, when name_clone does not fit', () => {
    expect(mysql.cloneUsername('a'.repeat(26))).toBe(`${'a'.repeat(26)}_clone`);
    const long = mysql.cloneUsername('a'.repeat(32));
    expect(long).toMatch(/^a{19}_[0-9a-f]{6}_clone$/);
    expect(long).toHaveLength(32);
    expect(mysql.cloneUsername(`${'a'.repeat(31)}b`)).not.toBe(long);
  });
});
