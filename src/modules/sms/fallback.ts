import type { Transaction } from 'kysely';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { DB } from '../../shared/db/schema.js';
import type { SmsRepository } from './sms.repository.js';
import { sendJob } from './sms.service.js';

export const FALLBACK_TOPIC = 'sms.fallback';

/** Gupshup's "number not on WhatsApp" and its kin, and Meta's (reference gupshup.md §8). */
export const NOT_ON_WHATSAPP = new Set(['1002', '1013', '131026']);

/**
 * The relay's hook when a message fails for good: a "not on WhatsApp" failure queues the fallback
 * job, once per message, in the transaction that records the failure. Whether the channel falls back
 * at all, and whether it was a template, is the job's question (it reads the settings).
 */
export async function queueSmsFallback(
  trx: Transaction<DB>,
  m: { messageId: number; portalId: number; channelId: string; code: string },
): Promise<boolean> {
  if (!NOT_ON_WHATSAPP.has(m.code)) return false;
  return enqueueJob(trx, {
    topic: FALLBACK_TOPIC,
    portalId: m.portalId,
    payload: { messageId: m.messageId, channelId: m.channelId, code: m.code },
    dedupeKey: `sms.fb:${m.messageId}`,
  });
}

/**
 * `sms.fallback`: a template that could not reach WhatsApp goes as an SMS with the text the customer
 * would have read (the message's rendered `content.text`), when its channel is one the admin chose.
 * One SMS per message (unique relay_message_id); the agent's chat note follows the SMS's outcome
 * (sms-send.job.ts). Counted as an SMS, not a WhatsApp message unit (docs/sms.md).
 */
export function fallbackJob(d: { repo: SmsRepository; nudge: () => void }): JobHandler {
  return {
    run: async (job) => {
      const p = job.payload as { messageId?: number; channelId?: string; code?: string };
      const m = await d.repo.relayMessage(Number(p.messageId));
      if (!m || m.template_id === null) return { kind: 'done' };
      const s = await d.repo.settings(m.portal_id);
      if (!s?.fallback_channel_ids.includes(m.channel_id)) return { kind: 'done' };
      const text = (m.content as { text?: unknown }).text;
      if (typeof text !== 'string' || text.trim() === '') return { kind: 'done' };
      const r = await d.repo.insertSms(
        {
          portalId: m.portal_id,
          source: 'fallback',
          relayMessageId: m.id,
          origin: { channelId: m.channel_id, code: p.code ?? null, templateId: m.template_id },
          toRaw: `+${m.customer_phone.replace(/\D/g, '')}`,
          text,
          noAccents: s.no_accents,
        },
        (id) => ({
          job: sendJob(m.portal_id, id),
          trace: [
            {
              portalId: m.portal_id,
              channelId: m.channel_id,
              messageId: m.id,
              direction: 'out',
              step: 'sms_fallback',
              code: p.code ?? null,
              detail: `sms #${id}: WhatsApp ${p.code ?? ''} (not on WhatsApp); the template goes by SMS`,
            },
          ],
        }),
      );
      if (r.created) d.nudge();
      return { kind: 'done' };
    },
  };
}
