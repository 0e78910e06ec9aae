import type { Bitrix24Client } from './bitrix24.client.js';

/**
 * Operator files in `OnImConnectorMessageAdd` (reference/bitrix24.md §4.1, §12): `link` is expected to
 * be public, `downloadLink` (often relative, `/rest/download.json?token=…`) is not, and neither is
 * confirmed. So a download is tried without credentials first; when the portal itself refuses it, the
 * same link goes again with the portal's access token as `auth=`. The token goes only to the portal's
 * own host, over the same scheme as its REST endpoint.
 */
export interface PortalFileLink {
  /** The link as Bitrix24 gave it, made absolute against the portal. */
  url: string;
  /**
   * The same link with the portal's token, or undefined when the link is not the portal's own.
   * `fresh` asks for a new token, the one used last having been refused (401).
   */
  authorized?: (fresh: boolean) => Promise<string>;
}

/** The links of an operator file, in the order to try: `link`, then `downloadLink`. */
export function fileLinks(file: { link?: string; downloadLink?: string }, clientEndpoint: string): URL[] {
  const base = new URL(clientEndpoint);
  return [file.link, file.downloadLink].flatMap((l) => {
    if (!l) return [];
    try {
      return [new URL(l, base.origin)];
    } catch {
      return [];
    }
  });
}

/** True when `link` is the portal's own: same host and scheme as its REST endpoint. */
export function isPortalLink(link: URL, clientEndpoint: string): boolean {
  const base = new URL(clientEndpoint);
  return link.host === base.host && link.protocol === base.protocol;
}

/** Operator files' download links for a portal, with its token at hand for the portal's own links. */
export class Bitrix24Files {
  constructor(private readonly client: Pick<Bitrix24Client, 'access'>) {}

  async links(portalId: number, file: { link?: string; downloadLink?: string }): Promise<PortalFileLink[]> {
    const portal = await this.client.access(portalId);
    return fileLinks(file, portal.clientEndpoint).map((url) =>
      isPortalLink(url, portal.clientEndpoint)
        ? { url: url.href, authorized: this.#authorizer(portalId, url, portal.accessToken) }
        : { url: url.href },
    );
  }

  #authorizer(portalId: number, link: URL, accessToken: string): (fresh: boolean) => Promise<string> {
    let token = accessToken;
    return async (fresh) => {
      if (fresh) token = (await this.client.access(portalId, token)).accessToken;
      const withAuth = new URL(link);
      withAuth.searchParams.set('auth', token);
      return withAuth.href;
    };
  }
}
