import { createHash } from 'node:crypto';
import type { OperatorFile } from './parts.js';

/**
 * The rules of the outbound read-back (confirm.ts, docs/security.md), pure so they can be checked
 * without a database or a portal. An operator message arrives in an event that only the application
 * token vouches for, and every user who opens the app's pages receives that token; so before a part
 * goes to WhatsApp, the portal itself must hold the message: in that chat, with that id, by that
 * author, and with what we would send (the text, each file).
 */

/** A message as the portal holds it (integrations/bitrix24/dialog.ts reads it). */
export interface HeldMessage {
  id: number;
  authorId: number;
  text: string;
  deleted: boolean;
  files: Array<{ name: string; size: number | undefined }>;
}

/** What a part row holds (outbound.repository.ts `storeParts`, media's `content.media`). */
interface PartContent {
  text?: string;
  file?: OperatorFile;
  media?: { size?: number };
  operatorId?: number | null;
}

export interface PartToCheck {
  id: number;
  status: string;
  content: unknown;
  gupshupMessageId: string | null;
}

/** One Bitrix24 message and all its parts, as stored from the event. */
export interface MessageToCheck {
  imMessageId: number;
  imChatId: number;
  /** The event's chat is the one this customer's messages were delivered into (conversations). */
  chatIsCustomers: boolean;
  parts: PartToCheck[];
}

export type Verdict =
  /** `parts`: those that may go, each with the key of the content that was checked. */
  | { kind: 'confirmed'; parts: Array<{ id: number; key: string }> }
  | { kind: 'refused'; why: string }
  | { kind: 'deleted' }
  /** Nothing can be said yet (the answer did not reach that far, a file is not downloaded yet). */
  | { kind: 'undecided' };

const contentOf = (c: unknown): PartContent => (c && typeof c === 'object' ? c : {});

/**
 * What the check vouches for, as a short digest: the text and file that will go, the downloaded
 * size, the author. A part whose content changes afterwards (an edit) is checked again.
 */
export function confirmKey(content: unknown): string {
  const c = contentOf(content);
  const f = c.file;
  const what = [
    c.text ?? '',
    f ? [f.name, f.size ?? null, f.link ?? null, f.downloadLink ?? null] : null,
    c.media?.size ?? null,
    c.operatorId ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(what)).digest('base64url').slice(0, 22);
}

/** Parts still to send (queued, or claimed but unconfirmed from before this check existed). */
export function isPending(p: PartToCheck): boolean {
  return (p.status === 'queued' || p.status === 'sending') && !p.gupshupMessageId;
}

/** The operator-name prefix Bitrix24 puts before the text for the connector only (§4.1). */
const SIGNATURE = /^\[b\][^\n]*?:\[\/b\][ \t]*(?:\[br\])?[ \t]*/i;
/**
 * Texts compared as the customer would read them: line ends alike, outer blanks dropped, and text
 * that is not Unicode (bytes that are not UTF-8 in the form, a lone surrogate in JSON) as one U+FFFD
 * per run, whichever way each side replaced it.
 */
const norm = (s: string) =>
  s
    .toWellFormed()
    .replace(/\uFFFD+/g, '\uFFFD')
    .replace(/\r\n?/g, '\n')
    .trim();

/**
 * The event's text is the portal's, as stored or with the name prefix the core adds
 * (`[b]Name:[/b] [br]text`; reference §4.1). The name itself is the line's choice and not checked.
 */
export function sameText(eventText: string, held: string): boolean {
  const h = norm(held);
  return norm(eventText) === h || norm(eventText.replace(SIGNATURE, '')) === h;
}

/** Every link of the file is the portal's own (core `CIMDisk::GetFileLink` builds them on its host). */
function onPortal(f: OperatorFile, portalHost: string): boolean {
  return [f.link, f.downloadLink].every((l) => {
    if (!l) return true;
    try {
      return new URL(l, `https://${portalHost}`).host === portalHost;
    } catch {
      return false;
    }
  });
}

/** Why this part's file is not the message's; undefined when it is (or cannot be told yet). */
function fileRefusal(c: PartContent, held: HeldMessage, portalHost: string): string | undefined {
  const f = c.file;
  if (!f) return undefined;
  if (!onPortal(f, portalHost)) return 'a file link is not on the portal';
  const match = held.files.find(
    (h) =>
      h.name.trim() === f.name.trim() && (h.size === undefined || f.size === undefined || h.size === f.size),
  );
  if (!match) return 'a file is not in the message in Bitrix24';
  const counted = c.media?.size;
  if (counted !== undefined && match.size !== undefined && counted !== match.size) {
    return 'a downloaded file differs in size from the one in Bitrix24';
  }
  return undefined;
}

/**
 * The verdict on one message: `held` is the portal's message with that id in that chat, if the answer
 * had it; `covered` says the answer reached past that id (so a missing message is missing).
 */
export function judge(
  msg: MessageToCheck,
  held: HeldMessage | undefined,
  covered: boolean,
  portalHost: string,
): Verdict {
  const pending = msg.parts.filter(isPending);
  if (pending.length === 0) return { kind: 'undecided' };
  if (!msg.chatIsCustomers) {
    return { kind: 'refused', why: `Bitrix24 chat ${msg.imChatId} is not this customer's open-line chat` };
  }
  if (!held) {
    return covered
      ? { kind: 'refused', why: `Bitrix24 has no message ${msg.imMessageId} in chat ${msg.imChatId}` }
      : { kind: 'undecided' };
  }
  if (held.deleted) return { kind: 'deleted' };
  const operatorId = contentOf(msg.parts[0]?.content).operatorId ?? 0;
  if (held.authorId !== operatorId) {
    return {
      kind: 'refused',
      why: `Bitrix24 says user ${held.authorId} wrote it, the event said ${operatorId}`,
    };
  }
  const parts: Array<{ id: number; key: string }> = [];
  for (const p of pending) {
    const c = contentOf(p.content);
    if (c.text && !sameText(c.text, held.text)) {
      return { kind: 'refused', why: 'the text differs from the message in Bitrix24' };
    }
    const refusal = fileRefusal(c, held, portalHost);
    if (refusal) return { kind: 'refused', why: refusal };
    // A file is vouched for once it is downloaded, so its counted size was compared too.
    if (!c.file || c.media) parts.push({ id: p.id, key: confirmKey(p.content) });
  }
  return parts.length ? { kind: 'confirmed', parts } : { kind: 'undecided' };
}

/** A message waiting for the check: its Bitrix24 id and chat. */
export interface Waiting {
  imMessageId: number;
  imChatId: number;
}

/**
 * The chats to read in one round, at most `maxChats`, the trigger's first: each from just before its
 * oldest waiting message. `fromTrigger`: the trigger's chat from just before the trigger (an earlier
 * read from its chat's oldest waiting message did not reach that far). Returns the reads and the
 * messages they are for.
 */
export function planReads(
  trigger: Waiting,
  waiting: Waiting[],
  maxChats: number,
  fromTrigger = false,
): { reads: Array<{ chatId: number; afterId: number }>; messages: Waiting[] } {
  const byChat = new Map<number, Set<number>>();
  for (const w of [trigger, ...waiting]) {
    if (fromTrigger && w.imChatId === trigger.imChatId && w.imMessageId < trigger.imMessageId) continue;
    if (!byChat.has(w.imChatId) && byChat.size >= maxChats) continue;
    const ids = byChat.get(w.imChatId) ?? new Set<number>();
    ids.add(w.imMessageId);
    byChat.set(w.imChatId, ids);
  }
  const reads = [...byChat].map(([chatId, ids]) => ({ chatId, afterId: Math.max(0, Math.min(...ids) - 1) }));
  const messages = [...byChat].flatMap(([imChatId, ids]) =>
    [...ids].map((imMessageId) => ({ imMessageId, imChatId })),
  );
  return { reads, messages };
}
