import type { OperatorChange, OperatorMessage } from '../../integrations/bitrix24/events.js';
import type { Log as Logger } from '../../shared/logger.js';
import type { ChannelStatusReason } from '../channels/status-reasons.js';

/** What the portals module needs from elsewhere; the composition root hands in the real ones. */

/** Operators' messages from OnImConnectorMessageAdd (messaging module). */
export interface OperatorMessages {
  acceptOperatorMessages(
    portalId: number,
    line: number,
    messages: OperatorMessage[],
    log: Logger,
  ): Promise<number>;
}

/** Operators' edits and deletions (messaging module). */
export interface OperatorEdits {
  accept(
    portalId: number,
    kind: 'update' | 'delete',
    changes: OperatorChange[],
    log: Logger,
  ): Promise<Record<string, number>>;
}

/** A line Bitrix24 removed, or where our connector was switched off (channels module). */
export interface ChannelLines {
  lineGone(portalId: number, line: number, reason: ChannelStatusReason): Promise<void>;
}

/** Deals and leads added or changed, named by id (notifications module: scheduled digests). */
export interface CrmChanges {
  accept(portalId: number, entity: 'deal' | 'lead', id: number): Promise<{ queued: boolean }>;
}

/** Where the events Bitrix24 sends go, besides the portals module itself. */
export interface EventTargets {
  messaging: OperatorMessages;
  edits: OperatorEdits;
  channels: ChannelLines;
  crm: CrmChanges;
}

/** The channels' memory of webhook identities: an uninstall must refuse their webhooks at once. */
export interface ChannelCallbacks {
  forgetCallbacks(): void;
}
