import { parseGrants, syncStatements } from '../../../../lib/engines/mysql/grants';

// SHOW GRANTS as MariaDB 10.11 writes it (MySQL 8 writes the same without the password hash).
const SOURCE = [
  "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*0C908AD93F67C171AD1942A253AEE176ABB70AC2' REQUIRE SSL",
  'GRANT SELECT, INSERT ON `app\\_db`.* TO `app`@`%`',
  'GRANT SELECT (`id`, `name`) ON `app\\_db`.`items` TO `app`@`%`',
  'GRANT EXECUTE ON PROCEDURE `app\\_db`.`refresh` TO `app`@`%` WITH GRANT OPTION',
  'GRANT `reporting` TO `app`@`%`',
];

describe('MySQL grant copies', () => {
  it("copies MariaDB's default role after the role, and unsets it before anything is revoked", () => {
    const source = parseGrants([
      'GRANT `reporting` TO `app`@`%`',
      'SET DEFAULT ROLE `reporting` FOR `app`@`%`',
    ]);
    expect(source).toContainEqual({ kind: 'default-role', role: '`reporting`' });
    const fresh = syncStatements(source, [], "'app_clone'@'%'").map((s) => s.sql);
    expect(fresh).toEqual([
      "GRANT `reporting` TO 'app_clone'@'%'",
      "SET DEFAULT ROLE `reporting` FOR 'app_clone'@'%'",
    ]);
    const stale = parseGrants([
      'GRANT `old` TO `app_clone`@`%`',
      'SET DEFAULT ROLE `old` FOR `app_clone`@`%`',
    ]);
    expect(syncStatements(source, stale, "'app_clone'@'%'").map((s) => s.sql)).toEqual([
      "SET DEFAULT ROLE NONE FOR 'app_clone'@'%'",
      "REVOKE `old` FROM 'app_clone'@'%'",
      "GRANT `reporting` TO 'app_clone'@'%'",
      "SET DEFAULT ROLE `reporting` FOR 'app_clone'@'%'",
    ]);
  });

  it('reads SHOW GRANTS into grants of no account, leaving the password hash and USAGE out', () => {
    const atoms = parseGrants(SOURCE);
    expect(atoms).toEqual([
      { kind: 'privilege', privilege: 'SELECT', on: '`app\\_db`.*' },
      { kind: 'privilege', privilege: 'INSERT', on: '`app\\_db`.*' },
      { kind: 'privilege', privilege: 'SELECT (`id`)', on: '`app\\_db`.`items`' },
      { kind: 'privilege', privilege: 'SELECT (`name`)', on: '`app\\_db`.`items`' },
      { kind: 'privilege', privilege: 'EXECUTE', on: 'PROCEDURE `app\\_db`.`refresh`' },
      { kind: 'privilege', privilege: 'GRANT OPTION', on: 'PROCEDURE `app\\_db`.`refresh`' },
      { kind: 'role', role: '`reporting`' },
    ]);
    expect(JSON.stringify(atoms)).not.toContain('0C908AD9');
  });

  it('makes the clone exact: revokes what it has beyond the source first, then grants what it lacks', () => {
    const clone = parseGrants([
      "GRANT USAGE ON *.* TO `app_clone`@`%` IDENTIFIED BY PASSWORD '*EF5F5F97292B028A02271D84540F8E4518324993'",
      'GRANT SELECT, DELETE ON `app\\_db`.* TO `app_clone`@`%`',
    ]);
    expect(syncStatements(parseGrants(SOURCE), clone, "'app_clone'@'%'").map((s) => s.sql)).toEqual([
      "REVOKE DELETE ON `app\\_db`.* FROM 'app_clone'@'%'",
      "GRANT INSERT ON `app\\_db`.* TO 'app_clone'@'%'",
      "GRANT SELECT (`id`) ON `app\\_db`.`items` TO 'app_clone'@'%'",
      "GRANT SELECT (`name`) ON `app\\_db`.`items` TO 'app_clone'@'%'",
      "GRANT EXECUTE ON PROCEDURE `app\\_db`.`refresh` TO 'app_clone'@'%'",
      "GRANT USAGE ON PROCEDURE `app\\_db`.`refresh` TO 'app_clone'@'%' WITH GRANT OPTION",
      "GRANT `reporting` TO 'app_clone'@'%'",
    ]);
  });

  it("copies MySQL 8's roles, which carry a host part, as they are written", () => {
    const source = parseGrants(['GRANT USAGE ON *.* TO `app`@`%`', 'GRANT `reporting`@`%` TO `app`@`%`']);
    expect(source).toEqual([{ kind: 'role', role: '`reporting`@`%`' }]);
    expect(syncStatements(source, [], "'app_clone'@'%'").map((s) => s.sql)).toEqual([
      "GRANT `reporting`@`%` TO 'app_clone'@'%'",
    ]);
  });

  it('refuses a line it cannot read rather than copy part of the grants', () => {
    expect(() => parseGrants(['GRANT SOMETHING NEW'])).toThrow(/cannot copy/);
  });
});
