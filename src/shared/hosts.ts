import { isIP } from 'node:net';

/**
 * Hosts a portal may not name (SSRF guard): an install request or event decides which host the
 * server then POSTs to, so loopback, private, link-local and unspecified addresses are refused unless
 * configured otherwise (the local sandboxes live on 127.0.0.1). Names that resolve to such addresses
 * are not looked up here.
 */
export function isPrivateHost(hostWithPort: string): boolean {
  // The URL parser is what the HTTP client uses, so normalise with it: 2130706433, 0x7f000001 and
  // 127.1 all become 127.0.0.1 here as they would there.
  let raw = hostWithPort.trim().toLowerCase();
  try {
    raw = new URL(`http://${raw}`).hostname;
  } catch {
    return true;
  }
  const host = raw.startsWith('[')
    ? raw.slice(1, raw.indexOf(']'))
    : raw.split(':').length === 2
      ? (raw.split(':')[0] ?? '')
      : raw;
  if (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host.endsWith('.internal') ||
    host.endsWith('.local')
  ) {
    return true;
  }
  const v = isIP(host);
  if (v === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (v === 6) {
    return (
      host === '::1' ||
      host === '::' ||
      /^f[cd]/.test(host) ||
      /^fe[89ab]/.test(host) ||
      host.startsWith('::ffff:') ||
      // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address that may be a private one.
      host.startsWith('64:ff9b:') ||
      host.startsWith('2002:')
    );
  }
  return false;
}
