import * as pg from 'pg';
import { escapeIdentifier, escapeLiteral } from '../../../../lib/engines/postgresql/escape';

describe('PostgreSQL quoting', () => {
  const samples = ['app', 'App "x"', "it's", 'back\\slash', "both ' and \\", '', 'ünï', 'a;b--c', '$dbauth$'];

  it("quotes exactly as pg's public escapeIdentifier and escapeLiteral do", () => {
    for (const sample of samples) {
      expect(escapeIdentifier(sample)).toBe(pg.escapeIdentifier(sample));
      expect(escapeLiteral(sample)).toBe(pg.escapeLiteral(sample));
    }
  });

  it('doubles quotes, and writes a literal with a backslash as an escape string', () => {
    expect(escapeIdentifier('a"b')).toBe('"a""b"');
    expect(escapeLiteral("it's")).toBe("'it''s'");
    expect(escapeLiteral("a\\'b")).toBe(" E'a\\\\''b'");
  });
});
