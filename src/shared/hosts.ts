import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * What the server may connect to (SSRF guard). A portal's install request, an event or a media link
 * decides which host the server then calls, so only public unicast addresses are allowed: the range
 * list is ipaddr.js's (IANA's special-purpose registries), and IPv6 forms that carry an IPv4 address
 * are judged by that address. The guarded dispatcher (`http/ssrf-guard.ts`) applies this to every
 * address a name resolves to; `isPrivateHost` is the quick check of a host as it was named.
 * docs/security.md lists the ranges.
 */

/** All global unicast IPv6 sits in 2000::/3; the rest of the space is reserved or unassigned. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
/** The well-known NAT64 prefix; the local-use one (64:ff9b:1::/48) has no fixed place for the IPv4. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

const v4of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** The IPv4 address an IPv6 address stands for, when it is one of the forms that embed one. */
function embeddedIPv4(a: ipaddr.IPv6, range: string): string | undefined {
  const p = a.parts;
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return v4of(p[6] ?? 0, p[7] ?? 0);
    case 'rfc6052': // 64:ff9b::a.b.c.d
      return a.match(NAT64_WELL_KNOWN) ? v4of(p[6] ?? 0, p[7] ?? 0) : undefined;
    case '6to4': // 2002:AABB:CCDD::/48
      return v4of(p[1] ?? 0, p[2] ?? 0);
    default:
      return undefined;
  }
}

/**
 * Why an IP address may not be connected to (the special-purpose range it falls in, e.g.
 * `loopback`, `private`, `ipv4Mapped → loopback`), or undefined for a public unicast address.
 * Teredo (2001::/32) and local-use NAT64 (64:ff9b:1::/48) are refused whatever they carry: the
 * first hides its IPv4 addresses (obfuscated, behind a relay), the second puts them where the
 * operator chose. Anything that does not parse is refused.
 */
export function specialAddressRange(ip: string): string | undefined {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip);
  } catch {
    return 'invalid';
  }
  if (addr.kind() === 'ipv4') {
    const range = (addr as ipaddr.IPv4).range();
    return range === 'unicast' ? undefined : range;
  }
  const v6 = addr as ipaddr.IPv6;
  const range = v6.range();
  const inner = embeddedIPv4(v6, range);
  if (inner !== undefined) {
    const innerRange = specialAddressRange(inner);
    return innerRange === undefined ? undefined : `${range} → ${innerRange}`;
  }
  if (range !== 'unicast') return range;
  return v6.match(GLOBAL_UNICAST_V6) ? undefined : 'reserved';
}

export const isPublicAddress = (ip: string): boolean => specialAddressRange(ip) === undefined;

/**
 * Suffixes of names that only mean something inside a network (RFC 6761, RFC 8375, ICANN's
 * `.internal`, mDNS and the usual home-router domains).
 */
const LOCAL_SUFFIXES = ['localhost', 'localdomain', 'local', 'internal', 'lan', 'home.arpa'];

/**
 * True for names that are not public DNS names: the special-use suffixes above (also with the
 * trailing dot of a fully qualified name) and single labels (`vm`, `metadata`), which the resolver
 * completes with the server's own search domains.
 */
export function isSpecialName(name: string): boolean {
  const n = name.trim().toLowerCase().replace(/\.$/, '');
  if (!n.includes('.')) return true;
  return LOCAL_SUFFIXES.some((s) => n === s || n.endsWith(`.${s}`));
}

/**
 * The quick check of a host as a portal or link names it (`host` or `host:port`), before anything
 * is called: IP literals in a special-purpose range and special names are refused. A name that
 * resolves to such an address passes here; the guarded dispatcher refuses it at connect time.
 */
export function isPrivateHost(hostWithPort: string): boolean {
  // The URL parser is what the HTTP client uses, so normalise with it: 2130706433, 0x7f000001 and
  // 127.1 all become 127.0.0.1 here as they would there.
  let host: string;
  try {
    host = new URL(`http://${hostWithPort.trim()}`).hostname;
  } catch {
    return true;
  }
  return isRefusedHostname(host);
}

/** The same decision for a URL's `hostname` (IPv6 literals in brackets or bare). */
export function isRefusedHostname(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (host === '') return true;
  return isIP(host) ? !isPublicAddress(host) : isSpecialName(host);
}
