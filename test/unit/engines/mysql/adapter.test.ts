import { mysql } from '../../../../lib/engines/mysql/adapter';

describe('MySQL names', () => {
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
