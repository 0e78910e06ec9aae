import { z } from 'zod';
import { ProviderError } from '../../shared/errors.js';
import type { Bitrix24Method } from '../catalog.js';
import type { Bitrix24Client } from './bitrix24.client.js';

/**
 * Reading an open-line chat's messages back with the app's own token (the outbound check,
 * docs/security.md): `im.dialog.messages.get` (b24restdocs chats/messages/im-dialog-messages-get.md,
 * scope `im`) with `DIALOG_ID=chat<ID>`, `FIRST_ID` (messages with a greater id, oldest first: the
 * core's `Chat::getMessages` filters `>ID` and orders by id) and `LIMIT` (at most 50). Several chats go
 * in one `batch` call (reference §6.4: ≤ 50 commands, one request of the rate budget).
 *
 * A user who is not in the chat reads it through the open lines' permissions (core
 * `Dialog::hasAccess` → `ImOpenLines\Config::canJoin`: the installing admin can); otherwise the answer
 * is `ACCESS_ERROR`. Not confirmed on a live portal.
 *
 * The answer is read in both shapes found: the docs' `messages: [...]` with `author_id` and a `files`
 * list, and the core's `files` keyed by id; also `imopenlines.session.history.get`'s `message: {id:
 * {...}}` with `senderid`, should a portal answer that way. Ids come as numbers or strings.
 */

/** The most messages one read returns (the core cuts a larger LIMIT to 50). */
export const READ_LIMIT = 50;
/** The most commands one `batch` call carries (reference §6.4). */
export const BATCH_MAX = 50;

/** One chat to read: its messages with an id greater than `afterId`. */
export interface ChatRead {
  chatId: number;
  afterId: number;
}

/** A message as the portal holds it. */
export interface PortalMessage {
  id: number;
  authorId: number;
  text: string;
  deleted: boolean;
  files: Array<{ name: string; size: number | undefined }>;
}

export type ChatAnswer =
  | {
      ok: true;
      messages: PortalMessage[];
      /** Fewer than READ_LIMIT came back: every message after `afterId` is there. */
      complete: boolean;
      /** The greatest id that came back (`afterId` when none did). */
      lastId: number;
    }
  | { ok: false; code: string; description: string };

const id = z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const listOrMap = <T extends z.ZodType>(item: T) =>
  z.union([z.array(item), z.record(z.string(), item)]).transform((v) => Object.values(v) as z.output<T>[]);

const rawFile = z
  .object({ id, name: z.coerce.string().catch(''), size: z.coerce.number().optional().catch(undefined) })
  .loose();
const rawMessage = z
  .object({
    id,
    author_id: z.coerce.number().int().optional().catch(undefined),
    senderid: z.coerce.number().int().optional().catch(undefined),
    text: z.string().nullish().catch(''),
    textlegacy: z.string().nullish().catch(undefined),
    params: z.unknown().optional(),
  })
  .loose();
/** Items that do not parse are left out: a message we cannot read is one the portal did not confirm. */
const tolerant = <T extends z.ZodType>(item: T) =>
  listOrMap(z.unknown()).transform((v) =>
    v.flatMap((x) => {
      const r = item.safeParse(x);
      return r.success ? [r.data] : [];
    }),
  );
const messagesAnswer = z
  .object({
    messages: tolerant(rawMessage).optional().catch(undefined),
    message: tolerant(rawMessage).optional().catch(undefined),
    files: tolerant(rawFile).optional().catch(undefined),
  })
  .loose();

/** `batch`'s answer: `result` and `result_error` keyed by command (an empty PHP array is `[]`). */
const batchAnswer = z.object({ result: z.unknown(), result_error: z.unknown() }).loose();
const subError = z.object({ error: z.string(), error_description: z.string().optional() }).loose();
const looseRecord = z.record(z.string(), z.unknown());

/** A message's `params`: its files' ids and whether it was deleted (`FILE_ID`/`IS_DELETED`, any case). */
function paramsOf(raw: unknown): { fileIds: number[]; deleted: boolean } {
  const p = looseRecord.safeParse(raw);
  if (!p.success) return { fileIds: [], deleted: false };
  const byKey = new Map(Object.entries(p.data).map(([k, v]) => [k.toLowerCase().replace(/_/g, ''), v]));
  const ids = listOrMap(z.unknown()).safeParse(byKey.get('fileid'));
  const fileIds = (ids.success ? ids.data : []).flatMap((x) => {
    const n = id.safeParse(x);
    return n.success ? [n.data] : [];
  });
  const del = byKey.get('isdeleted');
  return { fileIds, deleted: del === 'Y' || del === true };
}

/** One chat's answer, in either shape; undefined when it is not a read of messages at all. */
export function parseChatAnswer(raw: unknown, afterId: number): ChatAnswer | undefined {
  const a = messagesAnswer.safeParse(raw);
  if (!a.success || (!a.data.messages && !a.data.message)) return undefined;
  const files = new Map((a.data.files ?? []).map((f) => [f.id, f]));
  const list = a.data.messages ?? a.data.message ?? [];
  const messages = list.map((m): PortalMessage => {
    const { fileIds, deleted } = paramsOf(m.params);
    return {
      id: m.id,
      authorId: m.author_id ?? m.senderid ?? 0,
      text: m.text ?? '',
      deleted,
      files: fileIds.map((f) => ({ name: files.get(f)?.name ?? '', size: files.get(f)?.size })),
    };
  });
  return {
    ok: true,
    messages,
    complete: list.length < READ_LIMIT,
    lastId: messages.reduce((max, m) => Math.max(max, m.id), afterId),
  };
}

const keyOf = (chatId: number) => `c${chatId}`;

/** The method each command of the batch calls (a catalog entry, so the name is checked). */
const READ_METHOD: Bitrix24Method = 'im.dialog.messages.get';

const PASSING = new Set(['OPERATION_TIME_LIMIT', 'QUERY_LIMIT_EXCEEDED', 'INTERNAL_SERVER_ERROR']);

function command(r: ChatRead): string {
  const q = new URLSearchParams({
    DIALOG_ID: `chat${r.chatId}`,
    FIRST_ID: String(r.afterId),
    LIMIT: String(READ_LIMIT),
  });
  return `${READ_METHOD}?${q.toString()}`;
}

/** Why a chat got no answer, from the batch's `result_error`; undefined when nothing was said. */
function refusalOf(errors: unknown, key: string): ChatAnswer | undefined {
  const all = looseRecord.safeParse(errors);
  const e = subError.safeParse(all.success ? all.data[key] : undefined);
  if (!e.success) return undefined;
  return { ok: false, code: e.data.error, description: e.data.error_description ?? '' };
}

export class Bitrix24Dialog {
  /** Most chats one read carries. */
  readonly maxChats = BATCH_MAX;
  constructor(private readonly client: Pick<Bitrix24Client, 'call'>) {}

  /** Refusals inside a batch that pass (a method's time budget, the portal's own trouble): read again. */
  isPassingRefusal(code: string): boolean {
    return PASSING.has(code);
  }

  /**
   * Reads the chats `plan` names, at most BATCH_MAX, in one `batch` call. `plan` runs once the call has
   * its slot in the portal's rate budget, so what was stored while waiting goes in the same call; the
   * reads it returned come back with the answers. A chat missing from the answer is left out of the map.
   */
  async read(
    portalId: number,
    plan: () => Promise<ChatRead[]>,
  ): Promise<{ reads: ChatRead[]; answers: Map<number, ChatAnswer> }> {
    let reads: ChatRead[] = [];
    const raw = await this.client.call(portalId, 'batch', async () => {
      reads = (await plan()).slice(0, BATCH_MAX);
      return { halt: 0, cmd: Object.fromEntries(reads.map((r) => [keyOf(r.chatId), command(r)])) };
    });
    const b = batchAnswer.safeParse(raw);
    if (!b.success) {
      throw new ProviderError('bitrix24', 'batch', 'batch: answer without result', {
        providerCode: 'BAD_ANSWER',
        retryable: true,
      });
    }
    const results = looseRecord.safeParse(b.data.result);
    const answers = new Map<number, ChatAnswer>();
    for (const r of reads) {
      const key = keyOf(r.chatId);
      const answer =
        refusalOf(b.data.result_error, key) ??
        (results.success && key in results.data
          ? (parseChatAnswer(results.data[key], r.afterId) ?? {
              ok: false as const,
              code: 'BAD_ANSWER',
              description: 'not a list of messages',
            })
          : undefined);
      if (answer) answers.set(r.chatId, answer);
    }
    return { reads, answers };
  }
}
