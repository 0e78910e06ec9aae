import type { Transaction } from 'kysely';
import type { DB } from '../../shared/db/schema.js';
import { FieldIssuesError, NotFoundError, type ErrorCode } from '../../shared/errors.js';
import type { Log } from '../../shared/logger.js';
import { writeTrace } from '../trace/trace.service.js';
import { digestParams, type DigestEvent } from './digest-params.js';
import type { DigestCandidate, DigestsRepository } from './digests.repository.js';
import { holidayCalendar, type HolidayCalendar } from './holidays.js';
import { serviceActive } from './notifications.service.js';
import { maskPhone } from './phone.js';
import { DIGEST_INTERVAL, nextDigestAt, type Weekday } from './schedule.js';

/**
 * Digests (issue 13): per group, at most one every `digest_interval_minutes` (of any of its reports),
 * only when a report has events of the group's companies not yet told, only in the report's hours for
 * the group; events outside the hours wait for the window (`nextDigestAt`). A digest is created in
 * one transaction that holds the group's row: the digest (its event range is the cursor's advance),
 * one send per enabled recipient and one job per send. Nothing upstream is called here.
 */

/**
 * Events younger than this are left for the next digest: an event's id is taken when its transaction
 * inserts it, its `recorded_at` when the transaction starts, so a digest that only reads events this
 * old, and stops at the first younger one, does not step over one whose transaction has not committed.
 */
export const SETTLE_MS = 30_000;
/** Most events one digest covers; the rest go in the next one. */
const EVENTS_PER_DIGEST = 1000;
/** A test digest tells the latest events, at most this many. */
const TEST_EVENTS = 10;

type Trx = Transaction<DB>;
type Settings = { full_service: boolean; trial_started_at: Date };

export interface DigestsDeps {
  repo: DigestsRepository;
  /** The portal's notification settings (created on first use); undefined when no such portal. */
  settings(portalId: number): Promise<Settings | undefined>;
  nudge(): void;
}

export type RecipientStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'held';
export type DigestStatus = 'sending' | 'sent' | 'partial' | 'failed' | 'held';

export class DigestsService {
  readonly #calendars = new Map<string, HolidayCalendar>();
  constructor(private readonly d: DigestsDeps) {}

  /** Creates every digest due at `now` (the tick job); returns the new digests' ids. */
  async runDue(now: Date, log?: Log): Promise<number[]> {
    const byGroup = new Map<number, DigestCandidate[]>();
    for (const c of await this.d.repo.candidates()) {
      if (!serviceActive(c, now)) continue;
      byGroup.set(c.group_id, [...(byGroup.get(c.group_id) ?? []), c]);
    }
    const created: number[] = [];
    for (const reports of byGroup.values()) {
      // Oldest events first: with two reports due, the one waiting longer goes now, the other after
      // the interval.
      const due = reports.find((c) => (this.#dueAt(c)?.getTime() ?? Infinity) <= now.getTime());
      if (!due) continue;
      try {
        const id = await this.#create(due, now);
        if (id !== null) created.push(id);
      } catch (err) {
        log?.error({ err, groupId: due.group_id, reportId: due.report_id }, 'Could not create a digest.');
      }
    }
    if (created.length) this.d.nudge();
    return created;
  }

  #dueAt(c: DigestCandidate): Date | null {
    return nextDigestAt({
      firstPendingEventAt: new Date(c.first_pending_at.getTime() + SETTLE_MS),
      lastDigestAt: c.last_digest_at,
      intervalMinutes: c.digest_interval_minutes,
      schedule: {
        days: c.days as Weekday[],
        from: c.from_minute,
        to: c.to_minute,
        holidays: c.holidays,
      },
      ctx: { timeZone: c.time_zone, holidays: this.#calendar(c.country, c.time_zone) },
    });
  }

  #calendar(country: string, timeZone: string): HolidayCalendar {
    const key = `${country}|${timeZone}`;
    let cal = this.#calendars.get(key);
    if (!cal) {
      cal = holidayCalendar({ country, timeZone });
      this.#calendars.set(key, cal);
    }
    return cal;
  }

  /** The digest of `c` in one transaction holding the group, checked again there; null if not due. */
  async #create(c: DigestCandidate, now: Date): Promise<number | null> {
    return this.d.repo.transaction(async (trx) => {
      const group = await this.d.repo.group(trx, c.portal_id, c.group_id, true);
      if (!group) return null;
      const last = await this.d.repo.lastScheduledAt(trx, c.group_id);
      const interval = Math.max(DIGEST_INTERVAL.min, c.digest_interval_minutes) * 60_000;
      if (last && last.getTime() + interval > now.getTime()) return null; // another run was first
      const cursor = await this.d.repo.cursor(trx, c.group_id, c.report_id);
      const companies = await this.d.repo.companies(trx, c.group_id);
      const mine = (e: { company_id: number | null }) => group.all_companies || companiesHave(companies, e);
      const range = await this.#settledRange(trx, c.report_id, cursor, now, mine);
      if (!range) return null;
      const { events, lastEventId } = range;
      return this.#insert(trx, {
        portalId: c.portal_id,
        group: { ...group, companies },
        reportId: c.report_id,
        kind: 'scheduled',
        afterEventId: cursor,
        lastEventId,
        events,
        now,
      });
    });
  }

  /**
   * The events after the cursor up to the first one not yet settled, read a page at a time until
   * `EVENTS_PER_DIGEST` of them are the group's (so a long run of other companies' events cannot keep
   * the group's from ever being read); null when none of them is the group's.
   */
  async #settledRange(
    trx: Trx,
    reportId: number,
    cursor: number,
    now: Date,
    mine: (e: { company_id: number | null }) => boolean,
  ): Promise<{ events: DigestEvent[]; lastEventId: number } | null> {
    const events: DigestEvent[] = [];
    let lastEventId = cursor;
    for (;;) {
      const page = await this.d.repo.events(trx, reportId, {
        afterId: lastEventId,
        limit: EVENTS_PER_DIGEST,
      });
      for (const e of page) {
        if (e.recorded_at.getTime() > now.getTime() - SETTLE_MS || events.length >= EVENTS_PER_DIGEST) {
          return events.length ? { events, lastEventId } : null;
        }
        lastEventId = e.id;
        if (mine(e)) events.push(e);
      }
      if (page.length < EVENTS_PER_DIGEST) return events.length ? { events, lastEventId } : null;
    }
  }

  async #insert(
    trx: Trx,
    o: {
      portalId: number;
      group: { id: number; name: string; domain: string; companies: Map<number, string> };
      reportId: number;
      kind: 'scheduled' | 'test';
      afterEventId: number;
      lastEventId: number | null;
      events: DigestEvent[];
      now: Date;
      sample?: string[];
    },
  ): Promise<number | null> {
    const [recipients, report] = await Promise.all([
      this.d.repo.enabledRecipients(trx, o.group.id),
      this.d.repo.report(trx, o.portalId, o.reportId),
    ]);
    if (!report || recipients.length === 0) return null;
    const params =
      o.sample ??
      digestParams(report.params, o.events, {
        domain: o.group.domain,
        groupName: o.group.name,
        companies: o.group.companies,
      });
    const id = await this.d.repo.insert(trx, {
      portalId: o.portalId,
      groupId: o.group.id,
      reportId: o.reportId,
      kind: o.kind,
      afterEventId: o.afterEventId,
      lastEventId: o.lastEventId,
      events: o.events.length,
      templateId: report.template_id,
      params,
      createdAt: o.now,
      recipients,
    });
    await writeTrace(trx, {
      portalId: o.portalId,
      step: 'digest_created',
      detail: `${o.kind} digest ${id}: group ${o.group.id}, report "${report.name}", ${o.events.length} event(s), ${recipients.length} recipient(s)`,
    });
    return id;
  }

  /**
   * "Send a test digest now": the latest events of the report for the group (a sample made of the
   * template's examples when there are none) to its enabled recipients, whatever the interval and the
   * hours, without moving the cursor.
   */
  async test(portalId: number, groupId: number, reportId: number, now = new Date()): Promise<number> {
    const group = await this.d.repo.group(this.d.repo.db, portalId, groupId);
    if (!group) throw new NotFoundError('Group not found');
    const report = await this.d.repo.report(this.d.repo.db, portalId, reportId);
    if (!report) throw new NotFoundError('Report not found');
    const settings = await this.d.settings(portalId);
    if (!settings || !serviceActive(settings, now)) {
      throw conflict('service_inactive', 'The trial has ended; ask support for the full service');
    }
    if (!report.template_id || report.template_status !== 'approved') {
      throw conflict('template_not_approved', 'The report has no approved template', 'reportId');
    }
    const companies = await this.d.repo.companies(this.d.repo.db, groupId);
    const latest = await this.d.repo.events(this.d.repo.db, reportId, {
      afterId: 0,
      limit: 200,
      latest: true,
    });
    const events = latest
      .filter((e) => group.all_companies || companiesHave(companies, e))
      .slice(-TEST_EVENTS);
    const first = events[0];
    const id = await this.d.repo.transaction((trx) =>
      this.#insert(trx, {
        portalId,
        group: { ...group, companies },
        reportId,
        kind: 'test',
        afterEventId: first ? first.id - 1 : 0,
        lastEventId: events.at(-1)?.id ?? null,
        events,
        now,
        ...(first ? {} : { sample: sampleParams(report.params.length, report.template_params) }),
      }),
    );
    if (id === null) throw conflict('no_recipients', 'The group has no enabled recipient', 'recipients');
    this.d.nudge();
    return id;
  }

  /** The group's digests, newest first, with each recipient's status. */
  async list(portalId: number, groupId: number, limit: number) {
    const group = await this.d.repo.group(this.d.repo.db, portalId, groupId);
    if (!group) throw new NotFoundError('Group not found');
    const digests = await this.d.repo.digests(portalId, groupId, limit);
    const sends = await this.d.repo.sends(digests.map((d) => Number(d.id)));
    return {
      digests: digests.map((d) => {
        const recipients = sends.filter((s) => Number(s.digest_id) === Number(d.id)).map(recipientView);
        return {
          id: Number(d.id),
          reportId: Number(d.report_id),
          reportName: d.report_name,
          kind: d.kind,
          createdAt: d.created_at,
          events: d.events,
          status: digestStatus(d.status, recipients),
          recipients,
        };
      }),
    };
  }
}

function companiesHave(companies: Map<number, string>, e: { company_id: number | null }): boolean {
  return e.company_id !== null && companies.has(e.company_id);
}

/** A sample digest: the examples the template was approved with (a dash where one is missing). */
function sampleParams(count: number, templateParams: unknown): string[] {
  const examples = Array.isArray(templateParams) ? (templateParams as Array<{ example?: unknown }>) : [];
  return Array.from({ length: count }, (_, i) => {
    const ex = examples[i]?.example;
    return typeof ex === 'string' && ex.trim() ? ex : '-';
  });
}

type SendRow = Awaited<ReturnType<DigestsRepository['sends']>>[number];

function recipientView(s: SendRow) {
  const { status, error } = recipientStatus(s);
  return {
    recipientId: s.recipient_id === null ? null : Number(s.recipient_id),
    name: s.name,
    phoneMasked: maskPhone(s.phone_e164),
    status,
    ...(error ? { error } : {}),
  };
}

/** Accepted by Gupshup (`submitted`, `enqueued`) counts as sent; queued and sending are pending. */
const MESSAGE_STATUS: Record<string, RecipientStatus> = {
  submitted: 'sent',
  enqueued: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  dead: 'failed',
  cancelled: 'failed',
  skipped: 'failed',
  deleted: 'failed',
};

function recipientStatus(s: SendRow): { status: RecipientStatus; error?: string | undefined } {
  if (s.status === 'failed') return { status: 'failed', error: s.error_code ?? 'failed' };
  if (s.status === 'pending' || !s.message_status) return { status: 'pending' };
  const status = MESSAGE_STATUS[s.message_status] ?? (s.held_at ? 'held' : 'pending');
  return status === 'failed' ? { status, error: s.message_error ?? s.message_status } : { status };
}

/** The digest as a whole: refused for everyone, for some, held, still going, or gone out. */
function digestStatus(stored: string, recipients: Array<{ status: RecipientStatus }>): DigestStatus {
  const n = (st: RecipientStatus) => recipients.filter((r) => r.status === st).length;
  if (recipients.length > 0 && n('failed') === recipients.length) return 'failed';
  if (n('failed') > 0) return 'partial';
  if (n('held') > 0) return 'held';
  if (n('pending') > 0 || stored === 'sending') return 'sending';
  return 'sent';
}

type Refusal = 'template_not_approved' | 'no_recipients' | 'service_inactive';

/** A 409 whose `error.code` is the reason itself (the Notifications tab shows it), also as the issue. */
class DigestRefused extends FieldIssuesError {
  override readonly code: ErrorCode;
  constructor(code: Refusal, message: string, field: string) {
    super('conflict', [{ field, code, message }]);
    this.code = code;
  }
}

function conflict(code: Refusal, message: string, field = 'group') {
  return new DigestRefused(code, message, field);
}
