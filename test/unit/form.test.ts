import { describe, expect, it } from 'vitest';
import { parseForm } from '../../src/shared/http/form.js';

describe('form bodies (Bitrix24 events)', () => {
  it('decodes a value with invalid UTF-8, U+FFFD in place of only the bad bytes', () => {
    const body = 'data[MESSAGES][0][message][text]=Precio%3A+10%ED%A0%80%E2%82%AC+%C3%B1and%C3%BA&event=X';
    expect(parseForm(body)).toEqual({
      data: { MESSAGES: [{ message: { text: 'Precio: 10\ufffd\ufffd\ufffd€ ñandú' } }] },
      event: 'X',
    });
  });

  it('keeps malformed escapes as written and decodes keys the same way', () => {
    expect(parseForm('a=100%25+%ZZ+%E2%82&k%FF=1')).toEqual({ a: '100% %ZZ \ufffd', 'k\ufffd': '1' });
  });

  it('parses Bitrix24’s six-level keys and long lists as before', () => {
    const files = Array.from({ length: 30 }, (_, i) => `data[MESSAGES][0][message][files][${i}][name]=f${i}`);
    const parsed = parseForm(files.join('&')) as {
      data: { MESSAGES: Array<{ message: { files: Array<{ name: string }> } }> };
    };
    expect(parsed.data.MESSAGES[0]?.message.files).toHaveLength(30);
    expect(parsed.data.MESSAGES[0]?.message.files[29]).toEqual({ name: 'f29' });
  });
});
