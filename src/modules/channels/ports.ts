import type { KeyCheck } from '../../integrations/gupshup/gupshup.apps.js';
import type { AppAction } from '../roles/roles.service.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';

/** What the channels module needs from elsewhere; the composition root hands in the real ones. */

/** Our connector on a portal's open lines (Bitrix24 adapter, imconnector.* and imopenlines.*). */
export interface ConnectorLines {
  activateLine(
    portalId: number,
    line: number,
    data: { id: string; name: string; url: string },
  ): Promise<void>;
  deactivateLine(portalId: number, line: number): Promise<void>;
  lineStatus(
    portalId: number,
    line: number,
  ): Promise<{ status: boolean; configured: boolean; error: boolean }>;
  hasLine(portalId: number, line: number): Promise<boolean>;
}

/** What Gupshup says about a channel's app and key (Gupshup adapter). */
export interface GupshupAccount {
  checkKey(appId: string, apiKey: string): Promise<KeyCheck>;
  wallet(apiKey: string): Promise<number | null>;
}

/**
 * What the channel routes need from the roles module: who may read channels, the portal's open
 * lines, and the CRM settings of a channel (kept with the roles).
 */
export interface ChannelRoles {
  require(p: ApiPrincipal, action: AppAction): Promise<void>;
  lines(portalId: number): Promise<Array<{ id: number; name: string }>>;
  setCrm(portalId: number, channelId: string, body: unknown): Promise<unknown>;
}
