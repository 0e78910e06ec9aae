/**
 * The pages' Content-Security-Policy (the install page's too, security-headers.ts). Bitrix24 frames
 * them (reference §1.2), so each answer may be framed by the portal's own origin only.
 */

/** Who may frame a page: the portal it was opened for (its DOMAIN and PROTOCOL), or nobody. */
export function frameAncestors(domain: string | undefined, protocol: string | undefined): string {
  return `frame-ancestors ${domain ? `${protocol === '0' ? 'http' : 'https'}://${domain}` : `'none'`}`;
}

export function pageCsp(domain: string | undefined, protocol: string | undefined): string {
  return [
    frameAncestors(domain, protocol),
    `default-src 'self'`,
    `script-src 'self'`,
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data:`,
    `connect-src 'self'`,
    `base-uri 'none'`,
    `form-action 'self'`,
  ].join('; ');
}
