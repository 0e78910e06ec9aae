/**
 * Delivery reports to `notify_url` (reference payments-and-sms.md §4.4, parameters "as commonly
 * implemented"): a GET with `MsgId`, `status`, `status_name`, `idx`, `donedate` (unix seconds),
 * `username`, `points`, `to`, `from`, each a comma-separated list when reports are batched; the
 * receiver answers `OK`. Each message gets 403 SENT, then 404 DELIVERED — or 405 UNDELIVERED for a
 * number ending in 0000 (sandbox rule). Tests can hold reports and release them later, batched,
 * out of order, or again (`deliver`).
 */
import { request } from 'undici';
import type { SandboxSms } from './model.js';

export interface DlrRecord {
  url: string;
  query: Record<string, string>;
  status: number | null;
  body: string | null;
  error?: string;
}

export interface PendingReport {
  sms: SandboxSms;
  status: number;
}

export const STATUS_NAMES: Record<number, string> = {
  401: 'NOT_FOUND',
  402: 'EXPIRED',
  403: 'SENT',
  404: 'DELIVERED',
  405: 'UNDELIVERED',
  406: 'FAILED',
  407: 'REJECTED',
  408: 'UNKNOWN',
  409: 'QUEUE',
  410: 'ACCEPTED',
  411: 'RENEWAL',
  412: 'STOP',
};

/** The two reports a sent message gets (sandbox rule: a number ending in 0000 is undelivered). */
export function reportsFor(sms: SandboxSms): PendingReport[] {
  return [
    { sms, status: 403 },
    { sms, status: sms.to.endsWith('0000') ? 405 : 404 },
  ];
}

function query(batch: PendingReport[], now: number): Record<string, string> {
  const col = (f: (r: PendingReport) => string): string => batch.map(f).join(',');
  return {
    MsgId: col((r) => r.sms.id),
    status: col((r) => String(r.status)),
    status_name: col((r) => STATUS_NAMES[r.status] ?? 'UNKNOWN'),
    idx: col((r) => r.sms.idx ?? ''),
    donedate: col(() => String(Math.floor(now / 1000))),
    username: col(() => 'sandbox'),
    points: col((r) => String(r.sms.points)),
    to: col((r) => r.sms.to),
    from: col((r) => r.sms.from),
  };
}

export class ReportSender {
  readonly log: DlrRecord[] = [];
  readonly held: PendingReport[] = [];
  hold = false;
  #busy = new Set<Promise<void>>();

  /** Queues the reports, or sends them one callback each, in order, when not held. */
  enqueue(reports: PendingReport[]): void {
    if (this.hold) {
      this.held.push(...reports);
      return;
    }
    void this.#track(async () => {
      for (const r of reports) await this.send([r]);
    });
  }

  /** Sends the held reports: one GET per report, or one per notify_url when batched. */
  release(o: { batch?: boolean; reverse?: boolean } = {}): Promise<void> {
    const list = this.held.splice(0);
    if (o.reverse) list.reverse();
    if (!o.batch) return this.#track(async () => void (await Promise.all(list.map((r) => this.send([r])))));
    const byUrl = new Map<string, PendingReport[]>();
    for (const r of list) {
      const url = r.sms.notifyUrl;
      if (url) byUrl.set(url, [...(byUrl.get(url) ?? []), r]);
    }
    return this.#track(async () => void (await Promise.all([...byUrl.values()].map((b) => this.send(b)))));
  }

  /** One GET to the batch's notify_url; recorded before and after. */
  async send(batch: PendingReport[]): Promise<void> {
    const url = batch[0]?.sms.notifyUrl;
    if (!url) return;
    const rec: DlrRecord = { url, query: query(batch, Date.now()), status: null, body: null };
    this.log.push(rec);
    try {
      const target = new URL(url);
      for (const [k, v] of Object.entries(rec.query)) target.searchParams.set(k, v);
      const res = await request(target, { method: 'GET', headersTimeout: 10_000, bodyTimeout: 10_000 });
      rec.status = res.statusCode;
      rec.body = await res.body.text();
    } catch (err) {
      rec.error = err instanceof Error ? err.message : String(err);
    }
  }

  settle(): Promise<void> {
    return Promise.all([...this.#busy]).then(() => undefined);
  }

  #track(f: () => Promise<void>): Promise<void> {
    const p = f().finally(() => this.#busy.delete(p));
    this.#busy.add(p);
    return p;
  }
}
