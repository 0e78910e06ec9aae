import type { JobHandler } from '../../jobs/worker.js';
import { ProviderError } from '../../shared/errors.js';
import type { OpenLines } from '../roles/ports.js';
import { writeTrace } from '../trace/trace.service.js';
import type { DispatchRepository } from './dispatch.repository.js';

/**
 * `campaigns.reply` (queued by the inbound delivery with the row's first reply, campaigns.repository
 * `markCampaignReplies`): when the campaign names agents for its replies (the seed's "Members"), the
 * reply's open-line chat is handed to one of them in turn (imopenlines.operator.transfer); when it
 * names another open line instead, to that line's queue (QUEUE_ID). It runs
 * after the conversation's own assignment (roles/assign.service.ts, `chat.assign`) so that the
 * campaign's choice is the last word. A refusal (not an operator of the line…) is traced and the
 * chat stays where Bitrix24 put it; a passing fault retries.
 */
export function replyJob(d: {
  repo: DispatchRepository;
  lines: Pick<OpenLines, 'transfer' | 'transferToLine'>;
}): JobHandler {
  return {
    run: async (job) => {
      const p = job.payload as { rowId?: unknown; conversationId?: unknown; chatId?: unknown };
      if (typeof p.rowId !== 'number' || typeof p.conversationId !== 'number') {
        return { kind: 'dead', error: 'campaigns.reply: unreadable payload' };
      }
      const t = await d.repo.replyTarget(p.rowId, p.conversationId);
      if (!t) return { kind: 'done' };
      if (t.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
      const chatId = typeof p.chatId === 'number' ? p.chatId : t.bitrix_chat_id;
      const toLine =
        !t.reply_user_ids.length && t.reply_line_id !== null && t.reply_line_id !== t.channel_line_id
          ? t.reply_line_id
          : null;
      if ((!t.reply_user_ids.length && toLine === null) || !chatId) return { kind: 'done' };
      if (t.assigning) {
        return {
          kind: 'retry',
          error: 'waiting for the chat’s assignment',
          delayMs: 2_000,
          countAttempt: false,
        };
      }
      const user = toLine === null ? t.reply_user_ids[Number(t.turn) % t.reply_user_ids.length]! : null;
      const to = user !== null ? `user ${user}` : `line ${toLine}`;
      const at = { portalId: t.portal_id, channelId: t.channel_id, direction: 'in' as const };
      try {
        if (user !== null) await d.lines.transfer(t.portal_id, chatId, user);
        else await d.lines.transferToLine(t.portal_id, chatId, toLine!);
      } catch (err) {
        if (!(err instanceof ProviderError) || err.retryable) throw err;
        await writeTrace(d.repo.db, {
          ...at,
          step: 'transfer_refused',
          level: 'WARN',
          code: err.providerCode ?? null,
          detail: `campaign ${t.campaign_id} reply: chat ${chatId} → ${to}: ${err.message}`.slice(0, 500),
        });
        return { kind: 'done' };
      }
      await writeTrace(d.repo.db, {
        ...at,
        step: 'chat_transferred',
        detail: `campaign ${t.campaign_id} reply: chat ${chatId} → ${to}`,
      });
      return { kind: 'done' };
    },
  };
}
