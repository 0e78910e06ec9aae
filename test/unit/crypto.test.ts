import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/shared/crypto.js';
import { maskPhone, maskUrl } from '../../src/shared/logger.js';

describe('secrets at rest', () => {
  const box = new SecretBox('a'.repeat(40));
  it('encrypts with a fresh IV each time and decrypts back', () => {
    const a = box.encrypt('refresh-token-value');
    const b = box.encrypt('refresh-token-value');
    expect(a).not.toBe(b);
    expect(a).not.toContain('refresh-token-value');
    expect(box.decrypt(a)).toBe('refresh-token-value');
  });
  it('refuses tampered ciphertext and another key', () => {
    const sealed = box.encrypt('x');
    const parts = sealed.split('.');
    const tampered = [parts[0], parts[1], parts[2], Buffer.from('y').toString('base64url')].join('.');
    expect(() => box.decrypt(tampered)).toThrow();
    expect(() => new SecretBox('b'.repeat(40)).decrypt(sealed)).toThrow();
  });
  it('compares keyed digests', () => {
    const mac = box.mac('app-token');
    expect(box.verifyMac('app-token', mac)).toBe(true);
    expect(box.verifyMac('app-tokeN', mac)).toBe(false);
    expect(box.verifyMac('', mac)).toBe(false);
  });
});

describe('log masking', () => {
  it('hides callback secrets and query strings', () => {
    expect(maskUrl('/webhooks/gupshup/0b6c/abcdefsecret?x=1')).toBe('/webhooks/gupshup/0b6c/***');
    expect(maskUrl('/media/1?exp=1&sig=zzz')).toBe('/media/1');
  });
  it('keeps only the country code and last digits of a phone', () => {
    expect(maskPhone('+5491155550001')).toBe('54***01');
  });
});
