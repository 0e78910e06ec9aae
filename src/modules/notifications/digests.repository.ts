import { sql, type Kysely, type Transaction } from 'kysely';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { DB, NotificationParam } from '../../shared/db/schema.js';

type Trx = Transaction<DB>;
type Executor = Kysely<DB> | Trx;

export const SEND_TOPIC = 'notifications.send';

/** A group and one of its enabled reports with events it has not been told about. */
export interface DigestCandidate {
  group_id: number;
  portal_id: number;
  report_id: number;
  days: number[];
  from_minute: number;
  to_minute: number;
  holidays: 'skip' | 'allow';
  time_zone: string;
  country: string;
  digest_interval_minutes: number;
  full_service: boolean;
  trial_started_at: Date;
  /** The group's last scheduled digest (of any report): the interval counts from it. */
  last_digest_at: Date | null;
  /** When the oldest event of the report for this group, not yet in a digest, was recorded. */
  first_pending_at: Date;
}

export interface NewDigest {
  portalId: number;
  groupId: number;
  reportId: number;
  kind: 'scheduled' | 'test';
  afterEventId: number;
  lastEventId: number | null;
  events: number;
  templateId: string | null;
  params: string[];
  createdAt: Date;
  recipients: Array<{ id: number; name: string; phone: string }>;
}

/** The statements of digests: what is due, the digest with its sends and jobs, the sends' outcomes. */
export class DigestsRepository {
  constructor(readonly db: Kysely<DB>) {}

  transaction<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /**
   * Every enabled (group, report) of an installed portal whose group has an enabled recipient and
   * whose report has events of the group's companies after the group's cursor (the highest event of
   * its scheduled digests of that report).
   */
  async candidates(): Promise<DigestCandidate[]> {
    const r = await sql<DigestCandidate>`
      SELECT g.id AS group_id, g.portal_id, gr.report_id, gr.days, gr.from_minute, gr.to_minute, gr.holidays,
             s.time_zone, s.country, s.digest_interval_minutes, s.full_service, s.trial_started_at,
             (SELECT max(d.created_at) FROM notification_digests d
               WHERE d.group_id = g.id AND d.kind = 'scheduled') AS last_digest_at,
             pe.first_at AS first_pending_at
      FROM notification_group_reports gr
      JOIN notification_groups g ON g.id = gr.group_id
      JOIN notification_settings s ON s.portal_id = g.portal_id
      JOIN portals p ON p.id = g.portal_id AND p.status = 'installed'
      CROSS JOIN LATERAL (
        SELECT min(e.recorded_at) AS first_at FROM notification_events e
        WHERE e.report_id = gr.report_id
          AND e.id > coalesce((SELECT max(d.last_event_id) FROM notification_digests d
                WHERE d.group_id = g.id AND d.report_id = gr.report_id AND d.kind = 'scheduled'), 0)
          AND (g.all_companies OR e.company_id IN
                (SELECT c.company_id FROM notification_group_companies c WHERE c.group_id = g.id))
      ) pe
      WHERE gr.enabled AND pe.first_at IS NOT NULL
        AND EXISTS (SELECT 1 FROM notification_group_recipients r WHERE r.group_id = g.id AND r.enabled)
      ORDER BY g.id, pe.first_at`.execute(this.db);
    return r.rows.map((c) => ({ ...c, group_id: Number(c.group_id), portal_id: Number(c.portal_id) }));
  }

  /** The group with its portal's domain; `lock`: held until the transaction ends (one digest decision at a time). */
  group(exec: Executor, portalId: number, groupId: number, lock = false) {
    return exec
      .selectFrom('notification_groups as g')
      .innerJoin('portals as p', 'p.id', 'g.portal_id')
      .select(['g.id', 'g.name', 'g.all_companies', 'p.domain'])
      .where('g.portal_id', '=', portalId)
      .where('g.id', '=', groupId)
      .$if(lock, (q) => q.forUpdate('g'))
      .executeTakeFirst();
  }

  async lastScheduledAt(trx: Trx, groupId: number): Promise<Date | null> {
    const r = await trx
      .selectFrom('notification_digests')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .where('group_id', '=', groupId)
      .where('kind', '=', 'scheduled')
      .executeTakeFirst();
    return r?.at ?? null;
  }

  async cursor(trx: Trx, groupId: number, reportId: number): Promise<number> {
    const r = await trx
      .selectFrom('notification_digests')
      .select((eb) => eb.fn.max('last_event_id').as('id'))
      .where('group_id', '=', groupId)
      .where('report_id', '=', reportId)
      .where('kind', '=', 'scheduled')
      .executeTakeFirst();
    return Number(r?.id ?? 0);
  }

  /** The report's events after `afterId` (all companies), oldest first; or its latest `limit`. */
  async events(exec: Executor, reportId: number, o: { afterId: number; limit: number; latest?: boolean }) {
    const rows = await exec
      .selectFrom('notification_events')
      .select(['id', 'recorded_at', 'occurred_at', 'entity_type', 'entity_id', 'company_id', 'title'])
      .where('report_id', '=', reportId)
      .where('id', '>', o.afterId)
      .orderBy('id', o.latest ? 'desc' : 'asc')
      .limit(o.limit)
      .execute();
    const events = rows.map((e) => ({
      ...e,
      id: Number(e.id),
      entity_id: Number(e.entity_id),
      company_id: e.company_id === null ? null : Number(e.company_id),
    }));
    return o.latest ? events.reverse() : events;
  }

  async companies(exec: Executor, groupId: number): Promise<Map<number, string>> {
    const rows = await exec
      .selectFrom('notification_group_companies')
      .select(['company_id', 'title'])
      .where('group_id', '=', groupId)
      .execute();
    return new Map(rows.map((r) => [Number(r.company_id), r.title]));
  }

  async enabledRecipients(exec: Executor, groupId: number) {
    const rows = await exec
      .selectFrom('notification_group_recipients as gr')
      .innerJoin('notification_recipients as r', 'r.id', 'gr.recipient_id')
      .select(['r.id', 'r.first_name', 'r.last_name', 'r.phone_e164'])
      .where('gr.group_id', '=', groupId)
      .where('gr.enabled', '=', true)
      .orderBy('r.id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      name: `${r.first_name} ${r.last_name}`.trim(),
      phone: r.phone_e164,
    }));
  }

  /** The report with its template as a send needs it: status and the examples it was approved with. */
  report(exec: Executor, portalId: number, reportId: number) {
    return exec
      .selectFrom('notification_reports as r')
      .leftJoin('templates as t', (j) =>
        j.onRef('t.id', '=', 'r.template_id').on('t.status', '<>', 'deleted'),
      )
      .select(['r.id', 'r.name', 'r.template_id', 'r.params', 't.status as template_status'])
      .select('t.params as template_params')
      .where('r.portal_id', '=', portalId)
      .where('r.id', '=', reportId)
      .executeTakeFirst() as Promise<
      | {
          id: number;
          name: string;
          template_id: string | null;
          params: NotificationParam[];
          template_status: string | null;
          template_params: unknown;
        }
      | undefined
    >;
  }

  /** The digest, a send per recipient and a job per send, in the caller's transaction. */
  async insert(trx: Trx, d: NewDigest): Promise<number> {
    const { id } = await trx
      .insertInto('notification_digests')
      .values({
        portal_id: d.portalId,
        group_id: d.groupId,
        report_id: d.reportId,
        kind: d.kind,
        after_event_id: d.afterEventId,
        last_event_id: d.lastEventId,
        events: d.events,
        template_id: d.templateId,
        params: JSON.stringify(d.params),
        created_at: d.createdAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const digestId = Number(id);
    const sends = await trx
      .insertInto('notification_digest_sends')
      .values(
        d.recipients.map((r) => ({
          digest_id: digestId,
          recipient_id: r.id,
          name: r.name.slice(0, 161),
          phone_e164: r.phone,
          client_key: `digest:${digestId}:${r.id}`,
        })),
      )
      .returning('id')
      .execute();
    for (const s of sends) {
      await enqueueJob(trx, {
        topic: SEND_TOPIC,
        portalId: d.portalId,
        payload: { sendId: Number(s.id) },
        dedupeKey: `${SEND_TOPIC}:${s.id}`,
      });
    }
    return digestId;
  }

  /** What one send's job needs: the send, its digest, the template's channel, the portal's language. */
  async send(sendId: number) {
    const row = await this.db
      .selectFrom('notification_digest_sends as s')
      .innerJoin('notification_digests as d', 'd.id', 's.digest_id')
      .innerJoin('portals as p', 'p.id', 'd.portal_id')
      .leftJoin('templates as t', 't.id', 'd.template_id')
      .select(['s.id', 's.digest_id', 's.recipient_id', 's.phone_e164', 's.client_key', 's.status'])
      .select(['d.portal_id', 'd.group_id', 'd.template_id', 'd.params', 't.channel_id', 'p.lang'])
      .select('p.status as portal_status')
      .where('s.id', '=', sendId)
      .executeTakeFirst();
    return row && { ...row, portal_id: Number(row.portal_id), digest_id: Number(row.digest_id) };
  }

  /** The message an earlier run of the send stored under its key (a crash before it was recorded). */
  async messageByKey(portalId: number, clientKey: string): Promise<number | undefined> {
    const r = await this.db
      .selectFrom('messages')
      .select('id')
      .where('portal_id', '=', portalId)
      .where('client_key', '=', clientKey)
      .executeTakeFirst();
    return r ? Number(r.id) : undefined;
  }

  /** Records a send's outcome and the digest's status; false when it was recorded before. */
  async settle(
    sendId: number,
    digestId: number,
    o: { messageId: number } | { code: string; detail: string },
  ): Promise<boolean> {
    return this.transaction(async (trx) => {
      // The digest first: two sends settling at once would each count the other as pending.
      await trx
        .selectFrom('notification_digests')
        .select('id')
        .where('id', '=', digestId)
        .forUpdate()
        .execute();
      const r = await trx
        .updateTable('notification_digest_sends')
        .set(
          'messageId' in o
            ? { status: 'queued', message_id: o.messageId, updated_at: sql`now()` }
            : {
                status: 'failed',
                error_code: o.code.slice(0, 100),
                error_detail: o.detail.slice(0, 500),
                updated_at: sql`now()`,
              },
        )
        .where('id', '=', sendId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await sql`UPDATE notification_digests d SET updated_at = now(), status = (
          SELECT CASE
            WHEN bool_or(s.status = 'pending') THEN 'sending'
            WHEN bool_and(s.status = 'failed') THEN 'failed'
            WHEN bool_or(s.status = 'failed') THEN 'partial'
            ELSE 'sent' END
          FROM notification_digest_sends s WHERE s.digest_id = d.id)
        WHERE d.id = ${digestId}`.execute(trx);
      return true;
    });
  }

  /** A group's digests, newest first, with their report's name. */
  digests(portalId: number, groupId: number, limit: number) {
    return this.db
      .selectFrom('notification_digests as d')
      .innerJoin('notification_reports as r', 'r.id', 'd.report_id')
      .select([
        'd.id',
        'd.report_id',
        'r.name as report_name',
        'd.kind',
        'd.events',
        'd.status',
        'd.created_at',
      ])
      .where('d.portal_id', '=', portalId)
      .where('d.group_id', '=', groupId)
      .orderBy('d.id', 'desc')
      .limit(limit)
      .execute();
  }

  /** The sends of these digests with their messages' statuses. */
  sends(digestIds: number[]) {
    if (digestIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('notification_digest_sends as s')
      .leftJoin('messages as m', 'm.id', 's.message_id')
      .select(['s.digest_id', 's.recipient_id', 's.name', 's.phone_e164', 's.status', 's.error_code'])
      .select(['m.status as message_status', 'm.held_at', 'm.error_code as message_error'])
      .where('s.digest_id', 'in', digestIds)
      .orderBy('s.id')
      .execute();
  }
}
