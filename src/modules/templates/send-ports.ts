import type { CardPhone, CardType } from '../../integrations/bitrix24/crm-cards.js';
import type { ChatRecord } from '../../integrations/bitrix24/chat-record.js';
import type { RobotResult } from '../../integrations/bitrix24/robot.js';
import type { TemplateHeaderMedia } from '../../integrations/gupshup/messages.js';

/**
 * What sending templates needs from elsewhere (owner: tplsend; MERGE NOTE: tplcore's ports.ts may
 * take these in). The composition root hands in the Bitrix24 adapters and the media signer.
 */

export type { CardPhone, CardType, RobotResult };

/** The phones of a CRM card (integrations/bitrix24/crm-cards.ts). */
export interface CrmCards {
  phones(portalId: number, type: CardType, id: number, viewerToken?: string): Promise<CardPhone[]>;
}

/** The record of a sent template in its open-line chat (integrations/bitrix24/chat-record.ts). */
export interface ChatRecords {
  post(r: ChatRecord): Promise<'agent' | 'system'>;
  userName(portalId: number, userId: number): Promise<string | null>;
}

/** Answers a waiting workflow (integrations/bitrix24/robot.ts). */
export interface Workflows {
  answer(portalId: number, eventToken: string, result: RobotResult, logMessage: string): Promise<void>;
}

/** Signed links to stored files (media/signing.ts) and Gupshup's header JSON (gupshup/messages.ts). */
export interface HeaderLinks {
  url(mediaId: string): string;
}
export type HeaderBuilder = (h: TemplateHeaderMedia) => Record<string, unknown>;

/** Where a send comes from: it decides the checks, the jobs and the record in the chat. */
export type SendOrigin =
  | { kind: 'api' }
  | { kind: 'chat'; chatId: number }
  | { kind: 'crm'; entityType: CardType; entityId: number }
  | { kind: 'robot'; eventToken: string; workflowId?: string | undefined; document?: string | undefined }
  /** A digest of the scheduled notifications (notifications/digest-jobs.ts), one per recipient. */
  | { kind: 'notification'; digestId: number }
  /** One row of a campaign (campaigns/dispatch.ts); its record in the chat names the campaign. */
  | { kind: 'campaign'; campaignId: number; campaignName: string };
