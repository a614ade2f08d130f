import { postgresql } from '../../../../lib/engines/postgresql/adapter';

describe('PostgreSQL names', () => {
  it('refuses injection attempts and reserved names', () => {
    expect(() => postgresql.validateUsername('x"; DROP ROLE postgres; --')).toThrow(/invalid user name/);
    expect(() => postgresql.validateUsername('postgres')).toThrow(/reserved/);
    expect(() => postgresql.validateSchemaName('pg_catalog')).toThrow(/reserved/);
  });

  it('keeps the clone name within 63 characters, with a hash of the name when it is cut', () => {
    expect(postgresql.cloneUsername('a'.repeat(57))).toBe(`${'a'.repeat(57)}_clone`);
    expect(postgresql.cloneUsername('a'.repeat(63))).toBe(`${'a'.repeat(50)}_7d3e74_clone`);
    expect(postgresql.cloneUsername(`${'a'.repeat(62)}b`)).not.toBe(postgresql.cloneUsername('a'.repeat(63)));
  });
});
