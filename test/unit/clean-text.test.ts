import { describe, expect, it } from 'vitest';
import { cleanText, cleanValue } from '../../src/shared/db/clean-text.js';

describe('text cleaned before PostgreSQL', () => {
  it('replaces lone surrogates and NUL with U+FFFD, and keeps good pairs', () => {
    expect(cleanText('a\ud800b')).toBe('a\ufffdb');
    expect(cleanText('\udc00x\udbff')).toBe('\ufffdx\ufffd');
    expect(cleanText('x\u0000y')).toBe('x\ufffdy');
    expect(cleanText('emoji 😀 ok')).toBe('emoji 😀 ok');
  });

  it('cleans the escapes jsonb refuses inside JSON written before binding', () => {
    const written = JSON.stringify({ text: 'a\ud800b', 'k\udc00': ['x\u0000'], name: null });
    expect(written).toContain('\\ud800');
    expect(JSON.parse(cleanText(written))).toEqual({ text: 'a\ufffdb', 'k\ufffd': ['x\ufffd'], name: null });
    expect(cleanText(JSON.stringify('\ud800'))).toBe('"\ufffd"');
  });

  it('leaves a typed backslash-u alone, in plain text and inside JSON', () => {
    expect(cleanText('typed \\ud800 and \\u0000')).toBe('typed \\ud800 and \\u0000');
    const json = JSON.stringify({ text: 'typed \\ud800' });
    expect(JSON.parse(cleanText(json))).toEqual({ text: 'typed \\ud800' });
    expect(cleanText('{not json \\ud800')).toBe('{not json \\ud800');
  });

  it('cleans strings nested in objects and arrays bound for jsonb, and returns clean values as they are', () => {
    const clean = { a: ['x', { b: 1 }], when: new Date(0) };
    expect(cleanValue(clean)).toBe(clean);
    const dirty = { event: { id: 'w\ud800', reason: 'r\u0000' }, list: ['\udfff'], n: 5 };
    expect(cleanValue(dirty)).toEqual({
      event: { id: 'w\ufffd', reason: 'r\ufffd' },
      list: ['\ufffd'],
      n: 5,
    });
    expect(dirty.event.id).toBe('w\ud800'); // the caller's object is not changed
    const buf = Buffer.from('\u0000');
    expect(cleanValue(buf)).toBe(buf);
  });

  it('keeps a __proto__ key a plain key', () => {
    const parsed = JSON.parse('{"__proto__":{"admin":"\\ud800"}}') as object;
    const out = cleanValue(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
