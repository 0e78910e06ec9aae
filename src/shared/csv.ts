/**
 * CSV as RFC 4180 has it (comma, CRLF, fields with a comma, quote or line break quoted, quotes
 * doubled), safe to open in a spreadsheet: a text cell that starts with `=`, `+`, `-`, `@`, a tab
 * or a carriage return would be read as a formula (OWASP "CSV injection"), so it gets a leading `'`.
 * Numbers are written as they are: a negative delta stays a number.
 */

export type CsvValue = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const text = FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(values: CsvValue[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}
