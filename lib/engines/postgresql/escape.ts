// pg's own quoting (what Client#escapeIdentifier/escapeLiteral use), from the one small module
// that holds it: importing 'pg' itself would load the whole driver at cold start.
// @ts-expect-error -- pg's types do not describe its lib/utils module; the two functions below do.
import * as utils from 'pg/lib/utils';

const pgUtils = utils as {
  escapeIdentifier(value: string): string;
  escapeLiteral(value: string): string;
};

export const escapeIdentifier = (value: string): string => pgUtils.escapeIdentifier(value);
export const escapeLiteral = (value: string): string => pgUtils.escapeLiteral(value);
