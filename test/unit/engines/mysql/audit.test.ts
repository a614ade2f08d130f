import { compareCopies, diffGrants, expectedAtoms, requiresTlsOf } from '../../../../lib/engines/mysql/audit';
import type { GrantSet } from '../../../../lib/engines/engine';

const readwrite: GrantSet = {
  database: 'app_db',
  schemas: [],
  privileges: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
};
const USAGE =
  "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*0C908AD93F67C171AD1942A253AEE176ABB70AC2' REQUIRE SSL";

describe('MySQL grant audit', () => {
  it('expects the privileges grant writes, on the database name with its wildcards escaped', () => {
    expect(expectedAtoms({ ...readwrite, privileges: ['SELECT', 'TRUNCATE'] })).toEqual([
      { kind: 'privilege', privilege: 'SELECT', on: '`app\\_db`.*' },
      { kind: 'privilege', privilege: 'DROP', on: '`app\\_db`.*' },
    ]);
  });

  it('finds nothing in what grant wrote: USAGE and the password line are no grant', () => {
    const lines = [USAGE, 'GRANT SELECT, INSERT, UPDATE, DELETE ON `app\\_db`.* TO `app`@`%`'];
    expect(diffGrants(lines, readwrite)).toEqual({ missing: [], extra: [] });
  });

  it('names a missing privilege and an extra one', () => {
    const lines = [USAGE, 'GRANT SELECT, INSERT, UPDATE, DROP ON `app\\_db`.* TO `app`@`%`'];
    const diff = diffGrants(lines, readwrite);
    expect(diff.missing).toEqual(['DELETE ON `app\\_db`.*']);
    expect(diff.extra.map((e) => e.text)).toEqual(['DROP ON `app\\_db`.*']);
  });

  it('counts ALL PRIVILEGES and *.* as covering, and still extra', () => {
    for (const line of [
      'GRANT ALL PRIVILEGES ON `app\\_db`.* TO `app`@`%`',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON *.* TO `app`@`%`',
    ]) {
      const diff = diffGrants([USAGE, line], readwrite);
      expect(diff.missing).toEqual([]);
      expect(diff.extra.length).toBeGreaterThan(0);
    }
  });

  it('reads the unescaped database name as another object: extra, and the declared one missing', () => {
    const diff = diffGrants([USAGE, 'GRANT SELECT ON `app_db`.* TO `app`@`%`'], {
      ...readwrite,
      privileges: ['SELECT'],
    });
    expect(diff).toMatchObject({
      missing: ['SELECT ON `app\\_db`.*'],
      extra: [{ text: 'SELECT ON `app_db`.*' }],
    });
  });

  it('keeps proxy rights, roles and grant options as extra', () => {
    const diff = diffGrants(
      [
        USAGE,
        "GRANT PROXY ON ''@'%' TO 'app'@'%'",
        'GRANT `reporting` TO `app`@`%`',
        'GRANT SELECT ON `app\\_db`.* TO `app`@`%` WITH GRANT OPTION',
      ],
      { ...readwrite, privileges: ['SELECT'] },
    );
    expect(diff.extra.map((e) => e.text)).toEqual([
      'GRANT OPTION ON `app\\_db`.*',
      "PROXY ON ''@'%'",
      'ROLE `reporting`',
    ]);
  });

  it('compares a clone as a copy, TLS included', () => {
    const user = { lines: [USAGE, 'GRANT SELECT ON `app\\_db`.* TO `app`@`%`'], requiresTls: true };
    expect(
      compareCopies(user, { lines: ['GRANT SELECT ON `app\\_db`.* TO `app_clone`@`%`'], requiresTls: true }),
    ).toEqual({
      expected: [],
      found: [],
    });
    expect(
      compareCopies(user, {
        lines: ['GRANT SELECT, INSERT ON `app\\_db`.* TO `app_clone`@`%`'],
        requiresTls: false,
      }),
    ).toEqual({ differs: 'grants', expected: ['REQUIRE SSL'], found: ['INSERT ON `app\\_db`.*'] });
  });

  it('reads ssl_type as both catalogs write it', () => {
    expect([null, undefined, '', '0', 0, 'ANY', '1', 1, 'X509'].map(requiresTlsOf)).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
      true,
    ]);
  });
});
