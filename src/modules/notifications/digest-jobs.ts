import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import { AppError } from '../../shared/errors.js';
import { toLang } from '../../shared/i18n.js';
import { writeTrace } from '../trace/trace.service.js';
import type { DigestsRepository } from './digests.repository.js';
import type { DigestsService } from './digests.service.js';
import type { DigestSender } from './ports.js';

/**
 * The digests' jobs. `notifications.tick` runs once per period slot, whoever enqueues it first (the
 * slot is its dedupe key), creates the digests due (digests.service.ts) and enqueues itself for the
 * next slot. `notifications.send` hands one recipient's digest to the templates send service, which
 * stores the template message and its `outbound.send` job (billing reserves its unit there).
 *
 * Exactly once per recipient: the message's idempotency key is the send's `client_key`. A run that
 * dies after the message was stored and before the send recorded it is run again (its lease runs
 * out) and finds that message instead of storing another; a run that dies before finds none and
 * stores it. A refusal the portal can fix (no approved template, channel off) fails the send, goes to
 * the trace and the digest's status; anything else is retried.
 */
export const TICK_TOPIC = 'notifications.tick';

export async function scheduleTick(
  exec: DigestsRepository['db'],
  everyMs: number,
  afterMs = 0,
): Promise<void> {
  const slot = new Date(Math.floor((Date.now() + afterMs) / everyMs) * everyMs);
  await enqueueJob(exec, {
    topic: TICK_TOPIC,
    portalId: null,
    payload: {},
    dedupeKey: `${TICK_TOPIC}:${slot.toISOString()}`,
    runAt: afterMs > 0 ? slot : new Date(),
  });
}

export function tickJob(d: {
  service: DigestsService;
  repo: DigestsRepository;
  everyMs: number;
  clock?: () => Date;
}): JobHandler {
  return {
    run: async (_job, log) => {
      const created = await d.service.runDue(d.clock?.() ?? new Date(), log);
      if (created.length) log.info({ digests: created.length }, 'Digests created.');
      await scheduleTick(d.repo.db, d.everyMs, d.everyMs);
      return { kind: 'done' };
    },
  };
}

export function sendJob(d: { repo: DigestsRepository; sender: DigestSender }): JobHandler {
  const fail = async (
    s: { id: number; digest_id: number; portal_id: number; phone_e164: string },
    code: string,
    detail: string,
  ) => {
    if (!(await d.repo.settle(s.id, s.digest_id, { code, detail }))) return;
    await writeTrace(d.repo.db, {
      portalId: s.portal_id,
      direction: 'out',
      step: 'digest_send_failed',
      level: 'ERROR',
      code,
      detail: `digest ${s.digest_id}, send ${s.id}: ${detail}`,
    });
  };
  return {
    run: async (job): Promise<JobOutcome> => {
      const sendId = (job.payload as { sendId?: unknown }).sendId;
      const s = typeof sendId === 'number' ? await d.repo.send(sendId) : undefined;
      if (!s) return { kind: 'cancel', reason: 'digest send not found' };
      if (s.status !== 'pending') return { kind: 'done' };
      if (s.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
      // Stored by an earlier run that did not live to record it.
      const stored = await d.repo.messageByKey(s.portal_id, s.client_key);
      if (stored !== undefined) {
        await d.repo.settle(s.id, s.digest_id, { messageId: stored });
        return { kind: 'done' };
      }
      if (!s.template_id || !s.channel_id) {
        await fail(s, 'template_not_approved', 'the report has no template');
        return { kind: 'done' };
      }
      try {
        const sent = await d.sender.send({
          portalId: s.portal_id,
          channelId: s.channel_id,
          to: s.phone_e164,
          templateId: s.template_id,
          params: Array.isArray(s.params) ? s.params.map(String) : [],
          clientKey: s.client_key,
          origin: { kind: 'notification', digestId: s.digest_id },
          lang: toLang(s.lang),
        });
        await d.repo.settle(s.id, s.digest_id, { messageId: sent.messageId });
      } catch (err) {
        if (!(err instanceof AppError) || err.httpStatus >= 500) throw err;
        const issues = (err as { issues?: Array<{ code?: string }> }).issues;
        await fail(s, issues?.[0]?.code ?? err.code, err.message);
      }
      return { kind: 'done' };
    },
    onDead: async (job, error) => {
      const sendId = (job.payload as { sendId?: unknown }).sendId;
      const s = typeof sendId === 'number' ? await d.repo.send(sendId) : undefined;
      if (s?.status === 'pending') await fail(s, 'gave_up', error);
    },
  };
}
