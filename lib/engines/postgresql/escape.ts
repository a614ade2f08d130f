/**
 * PostgreSQL's quoting, by its documented rules ("Lexical Structure" in its manual): an
 * identifier in double quotes with `"` doubled; a literal in single quotes with `'` doubled
 * and, when it holds a backslash, written as an escape string (E'…') with `\` doubled, so it
 * reads the same whatever standard_conforming_strings says. ALTER ROLE takes no bind parameters.
 *
 * The output is exactly pg's escapeIdentifier/escapeLiteral (a unit test compares the two).
 * They are not imported: 'pg' itself loads the whole driver, its lib/utils is private, and
 * every handler loads these statements at cold start, connecting to PostgreSQL or not.
 */
export function escapeIdentifier(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

export function escapeLiteral(value: string): string {
  const quoted = `'${value.replace(/'/g, "''").replace(/\\/g, '\\\\')}'`;
  // pg's form, space included: the E cannot join a word before it.
  return value.includes('\\') ? ` E${quoted}` : quoted;
}
