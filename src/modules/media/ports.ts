/** What the media module needs from elsewhere; the composition root hands in the real ones. */
import type { OutgoingMessage } from '../../integrations/gupshup/messages.js';
import type { OperatorFile } from '../messaging/outbound/parts.js';
import type { TraceEntry } from '../trace/trace.service.js';
import type { Executor } from './media.repository.js';

export type { OutgoingMessage };

/** The provider's `message` body for one outgoing WhatsApp message (integrations/gupshup/messages.ts). */
export type MessageBodyBuilder = (m: OutgoingMessage) => Record<string, unknown>;

/** One place an operator's file may be downloaded from. */
export interface OperatorFileLink {
  url: string;
  /** The link with the portal's credentials, only for the portal's own links; `fresh` gets new ones. */
  authorized?: (fresh: boolean) => Promise<string>;
}

/** Where the operator files of a portal can be downloaded (integrations/bitrix24/files.ts). */
export interface OperatorFileSource {
  /** The links to try, in order; empty when Bitrix24 gave none that is usable. */
  links(portalId: number, file: OperatorFile): Promise<OperatorFileLink[]>;
}

/** Trace rows (trace module), written in the transaction of the change they describe when given one. */
export type TraceWriter = (exec: Executor, ...entries: TraceEntry[]) => Promise<void>;

/** The note that tells the agents in their chat what happened to a message (messaging's chat.notify). */
export type AgentNoteQueue = (
  exec: Executor,
  n: { messageId: number; portalId: number; channelId: string; code: string },
) => Promise<void>;
