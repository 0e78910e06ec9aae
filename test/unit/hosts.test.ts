import { describe, expect, it } from 'vitest';
import { isPrivateHost, isPublicAddress, specialAddressRange } from '../../src/shared/hosts.js';

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

describe('special-purpose address ranges (IANA registries, via ipaddr.js)', () => {
  // One address in each range the guard refuses, with the range it is refused as.
  it.each([
    ['0.1.2.3', 'unspecified'], // 0.0.0.0/8
    ['10.20.30.40', 'private'], // 10/8
    ['100.64.0.1', 'carrierGradeNat'], // 100.64/10
    ['100.127.255.254', 'carrierGradeNat'],
    ['127.0.0.1', 'loopback'], // 127/8
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'linkLocal'], // 169.254/16 (cloud metadata)
    ['172.16.0.1', 'private'], // 172.16/12
    ['172.31.255.255', 'private'],
    ['192.0.0.9', 'reserved'], // 192.0.0/24
    ['192.0.2.1', 'reserved'], // 192.0.2/24 TEST-NET-1
    ['192.88.99.1', 'reserved'], // 192.88.99/24 6to4 relay anycast
    ['192.168.0.1', 'private'], // 192.168/16
    ['198.18.0.1', 'reserved'], // 198.18/15 benchmarking
    ['198.19.255.255', 'reserved'],
    ['198.51.100.7', 'reserved'], // 198.51.100/24 TEST-NET-2
    ['203.0.113.7', 'reserved'], // 203.0.113/24 TEST-NET-3
    ['224.0.0.1', 'multicast'], // 224/4
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'], // 240/4
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'], // ::/128
    ['::1', 'loopback'],
    ['fc00::1', 'uniqueLocal'], // fc00::/7
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'], // fe80::/10
    ['fe80::1%eth0', 'linkLocal'],
    ['fec0::1', 'deprecatedSiteLocal'], // fec0::/10
    ['ff02::1', 'multicast'], // ff00::/8
    ['2001:db8::1', 'reserved'], // 2001:db8::/32 documentation
    ['100::1', 'discard'], // 100::/64
    ['2001:2::1', 'benchmarking'], // inside 2001::/23
    ['2001:10::1', 'deprecatedOrchid'],
    ['2001:1ff::1', 'reserved'], // the rest of 2001::/23
    ['2001::1', 'teredo'], // 2001::/32, refused whatever it carries
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['64:ff9b:1::a00:1', 'rfc6052'], // local-use NAT64, 64:ff9b:1::/48
    ['64:ff9b:1::808:808', 'rfc6052'],
    ['::7f00:1', 'reserved'], // IPv4-compatible (deprecated), outside 2000::/3
    ['4000::1', 'reserved'],
    // IPv6 forms that embed an IPv4 address are judged by that address.
    ['::ffff:127.0.0.1', 'ipv4Mapped → loopback'],
    ['::ffff:7f00:1', 'ipv4Mapped → loopback'],
    ['::ffff:10.0.0.1', 'ipv4Mapped → private'],
    ['::ffff:169.254.169.254', 'ipv4Mapped → linkLocal'],
    ['::ffff:0:127.0.0.1', 'rfc6145 → loopback'],
    ['64:ff9b::7f00:1', 'rfc6052 → loopback'], // NAT64 64:ff9b::/96
    ['64:ff9b::10.0.0.1', 'rfc6052 → private'],
    ['64:ff9b::c612:1', 'rfc6052 → reserved'], // 198.18.0.1
    ['2002:7f00:1::', '6to4 → loopback'], // 2002::/16
    ['2002:a9fe:a9fe::1', '6to4 → linkLocal'],
    ['2002:c000:201::1', '6to4 → reserved'],
  ])('%s is refused as %s', (ip, range) => {
    expect(specialAddressRange(ip)).toBe(range);
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.1',
    '192.0.1.1',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82a::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('%s is a public unicast address', (ip) => {
    expect(specialAddressRange(ip)).toBeUndefined();
    expect(isPublicAddress(ip)).toBe(true);
  });

  it('refuses what does not parse', () => {
    expect(isPublicAddress('not-an-ip')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
  });
});

describe('host names as portals and links name them', () => {
  it.each([
    // other spellings of loopback that the URL parser (and so the HTTP client) understands
    '2130706433',
    '2130706433:47003',
    '0x7f000001',
    '0x7f.0.0.1',
    '0177.0.0.1',
    '127.1',
    '127.0.0.1.',
    '0',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]:8080',
    '[64:ff9b::7f00:1]',
    '[2002:7f00:1::]',
    '[fe80::1]',
    '[::]',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '100.64.1.1',
    // names that only mean something inside a network, with and without the trailing dot
    'localhost',
    'localhost.',
    'LOCALHOST:3000',
    'localhost.:3000',
    'app.localhost',
    'app.localhost.',
    'metadata.google.internal.',
    'printer.local',
    'printer.local.',
    'router.lan',
    'nas.home.arpa',
    'db.localdomain',
    // single labels are completed with the server's own search domains
    'vm',
    'vm:47003',
    'vm.',
    'metadata',
    '',
    'a b',
  ])('%s is refused', (host) => {
    expect(isPrivateHost(host)).toBe(true);
  });

  it.each([
    'mycompany.bitrix24.com',
    'mycompany.bitrix24.com.',
    'mycompany.bitrix24.es:443',
    'crm.example.com.br',
    'local.example.com',
    'internal.example.com',
    '8.8.8.8:80',
    '[2606:4700:4700::1111]:443',
  ])('%s passes the name check', (host) => {
    expect(isPrivateHost(host)).toBe(false);
  });
});
