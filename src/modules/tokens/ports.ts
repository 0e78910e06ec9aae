/** What the tokens module needs from elsewhere; the composition root hands in the real ones. */

/** The installed portal a frontend auth claims (portals repository). */
export interface PortalLookup {
  findByMemberId(
    memberId: string,
  ): Promise<{ id: number; domain: string; client_endpoint: string; status: string } | undefined>;
}

/** `profile` of the user whose token this is, at a portal's REST endpoint (Bitrix24 adapter). */
export interface ProfileReader {
  profile(clientEndpoint: string, accessToken: string): Promise<Record<string, unknown>>;
  /** `app.info` with the same token: which application it was issued to (its `CODE`). */
  appCode(clientEndpoint: string, accessToken: string): Promise<string | undefined>;
}
