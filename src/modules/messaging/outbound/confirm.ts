import type { JobOutcome } from '../../../jobs/worker.js';
import type { JobRow } from '../../../shared/db/schema.js';
import { ProviderError } from '../../../shared/errors.js';
import type { Log as Logger } from '../../../shared/logger.js';
import {
  confirmKey,
  isPending,
  judge,
  planReads,
  type HeldMessage,
  type MessageToCheck,
  type Verdict,
  type Waiting,
} from './confirm-rules.js';
import type { CheckedPart, ConfirmRepository } from './confirm.repository.js';

/**
 * The outbound read-back (docs/security.md, "Operator messages are read back"). OnImConnectorMessageAdd
 * is authenticated only by the application token, which every user who opens the app's pages
 * receives; so a part goes to WhatsApp only once the portal, asked with our own token, holds the
 * message as the event described it (confirm-rules.ts). The check runs in the `outbound.send` job,
 * never in the webhook, before anything is composed or sent.
 *
 * Rate budget: a check is a round that reads every chat with messages waiting for it, up to 50 chats
 * in one `batch` call, and records a verdict for all of them; the other send jobs then find their
 * verdict without a call. One round per portal at a time in a process (others wait for it), and the
 * round decides what it reads once its call has a rate slot, so a backlog makes calls bigger, not more.
 */

/** A chat read as the portal answered it (integrations/bitrix24/dialog.ts). */
export type ChatReadAnswer =
  | { ok: true; messages: HeldMessage[]; complete: boolean; lastId: number }
  | { ok: false; code: string; description: string };

/** The portal's side of the check (integrations/bitrix24/dialog.ts `Bitrix24Dialog`). */
export interface PortalReadBack {
  read(
    portalId: number,
    plan: () => Promise<Array<{ chatId: number; afterId: number }>>,
  ): Promise<{ reads: Array<{ chatId: number; afterId: number }>; answers: Map<number, ChatReadAnswer> }>;
}

export interface ConfirmDeps {
  repo: ConfirmRepository;
  readBack: PortalReadBack;
  /** Refusals inside an answer that pass (the chat is read again next round). */
  isPassingRefusal: (code: string) => boolean;
  /** Most chats one round reads (one `batch` call). */
  maxChats: number;
}

/** The part as the send job knows it. */
interface Sending {
  id: number;
  portal_id: number;
  channel_id: string;
  created_at: Date;
}

/** Rounds a send job joins or runs before it gives its turn back to the queue. */
const ROUNDS_PER_JOB = 4;
/** Most waiting messages a round looks at when it plans its reads. */
const WAITING_LIMIT = 500;

export class OutboundConfirm {
  readonly #rounds = new Map<number, Promise<void>>();
  constructor(private readonly d: ConfirmDeps) {}

  /** The hook of `outbound.send`: undefined when the part may go, else what the job does instead. */
  async check(m: Sending, job: JobRow, log: Logger): Promise<JobOutcome | undefined> {
    for (let i = 0; i < ROUNDS_PER_JOB; i++) {
      const part = await this.d.repo.one(m.id);
      if (!part) return { kind: 'done' };
      // Only what an operator event brought (it names a Bitrix24 message) is read back; messages the
      // app composes itself (templates) are vouched for where they are made.
      if (part.imMessageId === null) return undefined;
      if (part.portalConfirmed !== null && part.portalConfirmed === confirmKey(part.content)) {
        return undefined;
      }
      // Refused, deleted or settled by a round meanwhile: nothing (more) to send.
      if (!isPending(part)) return { kind: 'done' };
      if (part.imChatId === null) {
        await this.#refuse(m.portal_id, part, 'the event named no Bitrix24 chat', log);
        return { kind: 'done' };
      }
      try {
        const trigger = { imMessageId: part.imMessageId, imChatId: part.imChatId };
        // A later round of this job reads its chat from just before it: the answer must reach it.
        await this.#round(m.portal_id, trigger, i > 0, log);
      } catch (err) {
        return this.#unavailable(err, m, part, job, log);
      }
    }
    return {
      kind: 'retry',
      error: 'portal_check_pending: the read-back has not reached this message yet',
      delayMs: 250,
      countAttempt: false,
    };
  }

  /** Joins the portal's round under way, or runs one. */
  #round(portalId: number, trigger: Waiting, fromTrigger: boolean, log: Logger): Promise<void> {
    const running = this.#rounds.get(portalId);
    if (running) return running;
    const round = this.#run(portalId, trigger, fromTrigger, log).finally(() => this.#rounds.delete(portalId));
    this.#rounds.set(portalId, round);
    return round;
  }

  async #run(portalId: number, trigger: Waiting, fromTrigger: boolean, log: Logger): Promise<void> {
    let messages: Waiting[] = [];
    // The portal's host is read while the call waits for its slot and its answer.
    const [host, { answers }] = await Promise.all([
      this.d.repo.portalHost(portalId),
      this.d.readBack.read(portalId, async () => {
        const waiting = await this.d.repo.waiting(portalId, WAITING_LIMIT);
        const plan = planReads(trigger, waiting, this.d.maxChats, fromTrigger);
        messages = plan.messages;
        return plan.reads;
      }),
    ]);
    const parts = await this.d.repo.parts(
      portalId,
      messages.map((w) => w.imMessageId),
    );
    const confirmed: Array<{ id: number; key: string; detail: string }> = [];
    for (const w of messages) {
      const mine = parts.filter((p) => p.imMessageId === w.imMessageId && p.imChatId === w.imChatId);
      if (mine.length === 0) continue;
      const v = this.#verdict(w, mine, answers.get(w.imChatId), host ?? '');
      const detail = `Bitrix24 message ${w.imMessageId} in chat ${w.imChatId}`;
      if (v.kind === 'confirmed') confirmed.push(...v.parts.map((p) => ({ ...p, detail })));
      else if (v.kind === 'refused') await this.#refuse(portalId, mine[0], v.why, log);
      else if (v.kind === 'deleted') await this.d.repo.deleted(portalId, w.imMessageId);
    }
    // Every confirmation of the round in one statement.
    await this.d.repo.confirm(confirmed);
    passingFault(answers.get(trigger.imChatId), (code) => this.d.isPassingRefusal(code));
  }

  #verdict(w: Waiting, parts: CheckedPart[], answer: ChatReadAnswer | undefined, host: string): Verdict {
    if (!answer) return { kind: 'undecided' };
    if (!answer.ok) {
      if (this.d.isPassingRefusal(answer.code)) return { kind: 'undecided' };
      return { kind: 'refused', why: `Bitrix24 did not show chat ${w.imChatId}: ${answer.code}` };
    }
    const msg: MessageToCheck = {
      imMessageId: w.imMessageId,
      imChatId: w.imChatId,
      chatIsCustomers: parts.every((p) => p.chatIsCustomers),
      parts,
    };
    const held = answer.messages.find((h) => h.id === w.imMessageId);
    return judge(msg, held, answer.complete || answer.lastId > w.imMessageId, host);
  }

  /** Not confirmed: the parts still to send fail, and a warning is logged (ids only, never text). */
  async #refuse(portalId: number, part: CheckedPart | undefined, why: string, log: Logger): Promise<void> {
    if (!part) return;
    const of = part.imMessageId === null ? { id: part.id } : { imMessageId: part.imMessageId };
    const failed = await this.d.repo.refuse(portalId, of, why);
    log.warn(
      { portalId, messageIds: failed, bitrixMessageId: part.imMessageId, bitrixChatId: part.imChatId, why },
      'Operator message not confirmed by Bitrix24: not sent.',
    );
  }

  /**
   * The read-back did not happen. A passing fault (the portal down, its rate limit or ours) delays the
   * part without spending an attempt: it waits as long as the portal does, never dropped. A refusal of
   * the read-back itself (scope, rights) means nothing can confirm the message: it fails.
   */
  async #unavailable(
    err: unknown,
    m: Sending,
    part: CheckedPart,
    job: JobRow,
    log: Logger,
  ): Promise<JobOutcome> {
    if (!(err instanceof ProviderError)) throw err;
    if (!err.retryable) {
      await this.#refuse(
        m.portal_id,
        part,
        `Bitrix24 refused the read-back: ${err.providerCode ?? err.message}`,
        log,
      );
      return { kind: 'done' };
    }
    if (!err.opts.throttled && !job.last_error?.startsWith('portal_unavailable')) {
      await this.d.repo.trace({
        portalId: m.portal_id,
        channelId: m.channel_id,
        messageId: m.id,
        direction: 'out',
        step: 'portal_check_delayed',
        level: 'WARN',
        code: err.providerCode ?? null,
        detail: `${err.provider}: ${err.message}`,
      });
    }
    const waited = Date.now() - m.created_at.getTime();
    const delayMs =
      err.opts.throttled && err.opts.retryAfterMs
        ? err.opts.retryAfterMs
        : Math.round(Math.min(300_000, Math.max(1_000, waited / 4)) * (0.8 + Math.random() * 0.4));
    return { kind: 'retry', error: `portal_unavailable: ${err.message}`, delayMs, countAttempt: false };
  }
}

/**
 * The trigger's chat got no answer, or one that passes (a method's time budget, the portal's own
 * trouble): the round is retried later like a portal that is down, not at once.
 */
function passingFault(answer: ChatReadAnswer | undefined, passing: (code: string) => boolean): void {
  if (answer && (answer.ok || !passing(answer.code))) return;
  const code = answer && !answer.ok ? answer.code : 'NO_ANSWER';
  throw new ProviderError('bitrix24', 'im.dialog.messages.get', `im.dialog.messages.get: ${code}`, {
    providerCode: code,
    retryable: true,
    throttled: code === 'OPERATION_TIME_LIMIT' || code === 'QUERY_LIMIT_EXCEEDED',
    retryAfterMs: code === 'OPERATION_TIME_LIMIT' ? 10_000 : undefined,
  });
}
