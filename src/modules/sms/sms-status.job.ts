import { createHash } from 'node:crypto';
import { z } from 'zod';
import { enqueueJob, type NewJob } from '../../jobs/jobs.repository.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { B24SmsStatus } from '../../integrations/bitrix24/messageservice.js';
import { writeTrace } from '../trace/trace.service.js';
import type { SmsapiDeliveryReport } from './ports.js';
import type { ReportChange, SmsRepository } from './sms.repository.js';

export const B24_STATUS_TOPIC = 'sms.b24status';
export const DLR_TOPIC = 'sms.dlr';

/**
 * Bitrix24's status of one of its SMS. The message's status jobs share a chat key, so they reach
 * Bitrix24 in the order they were decided (sent before delivered).
 */
export function b24StatusJob(portalId: number, smsId: number, status: B24SmsStatus): NewJob {
  return {
    topic: B24_STATUS_TOPIC,
    portalId,
    payload: { smsId, status },
    dedupeKey: `sms.b24:${smsId}:${status}`,
    chatKey: `sms:${smsId}`,
  };
}

/** `sms.b24status`: messageservice.message.status.update, paced by the portal's REST budget. */
export function b24StatusHandler(d: {
  repo: SmsRepository;
  update: (portalId: number, messageId: string, status: B24SmsStatus) => Promise<'ok' | 'unknown'>;
}): JobHandler {
  return {
    run: async (job) => {
      const p = job.payload as { smsId?: unknown; status?: B24SmsStatus };
      const sms = await d.repo.message(Number(p.smsId));
      if (!sms?.bitrix_message_id || !p.status) return { kind: 'done' };
      const r = await d.update(sms.portal_id, sms.bitrix_message_id, p.status);
      await writeTrace(d.repo.db, {
        portalId: sms.portal_id,
        step: 'sms_status_reported',
        level: r === 'ok' ? 'INFO' : 'WARN',
        detail: `sms #${sms.id}: ${p.status} → Bitrix24${r === 'ok' ? '' : ' (message unknown to Bitrix24)'}`,
      });
      return { kind: 'done' };
    },
  };
}

/**
 * SMSAPI's report statuses (reference payments-and-sms.md §4.4) as ours: 403 SENT, 409 QUEUE and 410
 * ACCEPTED mean accepted; 404 DELIVERED delivered; 401 NOT_FOUND, 402 EXPIRED, 405 UNDELIVERED,
 * 406 FAILED, 407 REJECTED and 412 STOP undelivered; 408 UNKNOWN and 411 RENEWAL say nothing new.
 */
export function reportStatus(status: number): ReportChange['status'] | null {
  if ([403, 409, 410].includes(status)) return 'accepted';
  if (status === 404) return 'delivered';
  if ([401, 402, 405, 406, 407, 412].includes(status)) return 'undelivered';
  return null;
}

/** Bitrix24's status for ours: delivered, and undelivered for every report that did not arrive. */
const B24_OF: Record<ReportChange['status'], B24SmsStatus> = {
  accepted: 'sent',
  delivered: 'delivered',
  undelivered: 'undelivered',
};

/**
 * A callback from SMSAPI, stored as a job before it is answered (its reports parsed by the SMSAPI
 * adapter, kept as they came). The same callback twice is one job.
 */
export async function storeReports(
  repo: SmsRepository,
  portalId: number,
  reports: SmsapiDeliveryReport[],
): Promise<boolean> {
  const body = JSON.stringify(reports);
  return enqueueJob(repo.db, {
    topic: DLR_TOPIC,
    portalId,
    payload: { reports: JSON.parse(body) as unknown },
    dedupeKey: `sms.dlr:${portalId}:${createHash('sha256').update(body).digest('hex').slice(0, 40)}`,
  });
}

/** The reports as the job stored them (JSON: the done date is an ISO string). */
const storedReports = z.array(
  z.object({
    msgId: z.string(),
    idx: z.string().nullable(),
    status: z.number(),
    statusName: z.string(),
    doneAt: z.string().nullable(),
    points: z.number().nullable(),
  }),
);

/** `sms.dlr`: each report applied to its row (forward only), Bitrix24 told what changed. */
export function dlrHandler(d: { repo: SmsRepository }): JobHandler {
  return {
    run: async (job) => {
      const portalId = job.portal_id;
      const parsed = storedReports.safeParse((job.payload as { reports?: unknown }).reports);
      if (portalId === null || !parsed.success) return { kind: 'dead', error: 'unreadable reports job' };
      for (const r of parsed.data) {
        const change = reportStatus(r.status);
        if (!change) continue;
        const doneAt = r.doneAt ? new Date(r.doneAt) : null;
        await d.repo.transaction(async (trx) => {
          const moved = await d.repo.applyReport(trx, portalId, r.idx, {
            status: change,
            reportStatus: r.status,
            reportName: r.statusName,
            smsapiId: r.msgId,
            doneAt: doneAt && !Number.isNaN(doneAt.getTime()) ? doneAt : null,
            points: r.points,
          });
          if (!moved) return;
          await writeTrace(trx, {
            portalId,
            step: `sms_${moved.status}` as 'sms_accepted',
            level: moved.status === 'undelivered' ? 'WARN' : 'INFO',
            code: String(r.status),
            detail: `sms #${moved.id}: report ${r.status} ${r.statusName}`.trim(),
          });
          if (moved.bitrixMessageId) await enqueueJob(trx, b24StatusJob(portalId, moved.id, B24_OF[change]));
        });
      }
      return { kind: 'done' };
    },
  };
}
