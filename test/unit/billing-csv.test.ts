import { describe, expect, it } from 'vitest';
import { exportQuery } from '../../src/modules/billing/billing.schemas.js';
import { csvCell, csvRow } from '../../src/shared/csv.js';
import { parseCsv } from '../helpers/csv.js';

describe('billing CSV', () => {
  it('quotes commas, quotes and line breaks and reads back to the same text', () => {
    const values = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', 'ñandú ção'];
    const row = csvRow(values);
    expect(row.endsWith('\r\n')).toBe(true);
    expect(parseCsv(row)).toEqual([values]);
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  });

  it('neutralises formulas in text cells; numbers, empty and null stay as they are', () => {
    for (const f of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tTAB', '\r=x', '=HYPERLINK("http://x","y")']) {
      const [[back]] = parseCsv(csvRow([f])) as [[string]];
      expect(back, JSON.stringify(f)).toBe(`'${f}`);
    }
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(0)).toBe('0');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell('')).toBe('');
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('accepts real days in order, up to 366 of them; refuses the rest', () => {
    expect(exportQuery.safeParse({}).success).toBe(true);
    expect(exportQuery.safeParse({ from: '2024-01-01', to: '2024-12-31' }).success).toBe(true);
    for (const q of [
      { from: '2026-02-30' },
      { to: '2026-13-01' },
      { from: '26-01-01' },
      { from: '2026-01-01T00:00:00Z' },
      { from: '2026-03-02', to: '2026-03-01' },
      { from: '2024-01-01', to: '2025-01-01' },
      { from: '2026-01-01', extra: '1' },
      { from: '２０２６-01-01' },
    ]) {
      expect(exportQuery.safeParse(q).success, JSON.stringify(q)).toBe(false);
    }
  });
});
