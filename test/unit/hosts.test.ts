import { describe, expect, it } from 'vitest';
import { isPrivateHost } from '../../src/shared/hosts.js';

describe('portal host guard', () => {
  it.each([
    ['127.0.0.1:8080', true],
    ['localhost', true],
    ['10.1.2.3', true],
    ['172.20.0.5', true],
    ['192.168.1.1:443', true],
    ['169.254.169.254', true],
    ['[::1]:3000', true],
    ['metadata.google.internal', true],
    ['2130706433', true],
    ['0x7f000001:80', true],
    ['127.1', true],
    ['[64:ff9b::a00:1]', true],
    ['[2002:a00:1::]', true],
    ['[2001:4860::8888]', false],
    ['mycompany.bitrix24.com', false],
    ['8.8.8.8', false],
    ['172.32.0.1', false],
  ])('%s → %s', (host, expected) => {
    expect(isPrivateHost(host)).toBe(expected);
  });
});
