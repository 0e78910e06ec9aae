import { ValidationError } from '../../shared/errors.js';
import type { BillingRepository } from './billing.repository.js';
import { EXPORT_MAX_DAYS, type ExportQuery } from './billing.schemas.js';
import { csvRow } from '../../shared/csv.js';

const DAY_MS = 86_400_000;
/** Entries read per query while a ledger export streams. */
const PAGE = 2000;
/** Spreadsheets take the file for UTF-8 (channel names, notes) only with the byte order mark. */
const BOM = '\uFEFF';

export interface CsvExport {
  filename: string;
  body: AsyncIterable<string>;
}

/**
 * The Billing tab's CSV exports (GET /api/v1/billing/ledger.csv, /billing/consumption.csv): a range
 * of UTC days, both included, by default the last 30 days. The ledger streams page by page.
 */
export class BillingExport {
  constructor(private readonly repo: BillingRepository) {}

  ledger(portalId: number, q: ExportQuery, now = new Date()): CsvExport {
    const r = range(q, now);
    const repo = this.repo;
    async function* rows(): AsyncGenerator<string> {
      yield (
        BOM +
        csvRow([
          'id',
          'at',
          'kind',
          'units',
          'delta_available',
          'delta_reserved',
          'delta_debt',
          'channel_id',
          'channel',
          'message_ref',
          'order_id',
          'note',
        ])
      );
      for (let after = 0; ;) {
        const page = await repo.ledgerRange(portalId, r.since, r.until, after, PAGE);
        yield page
          .map((e) =>
            csvRow([
              e.id,
              e.created_at.toISOString(),
              e.kind,
              e.units,
              e.delta_available,
              e.delta_reserved,
              e.delta_debt,
              e.channel_id,
              e.channel_name,
              e.message_ref,
              e.order_id,
              e.note,
            ]),
          )
          .join('');
        const last = page.at(-1);
        if (!last || page.length < PAGE) return;
        after = last.id;
      }
    }
    return { filename: `whatsappb24-ledger-${r.from}_${r.to}.csv`, body: rows() };
  }

  consumption(portalId: number, q: ExportQuery, now = new Date()): CsvExport {
    const r = range(q, now);
    const repo = this.repo;
    async function* rows(): AsyncGenerator<string> {
      yield BOM + csvRow(['day', 'channel_id', 'channel', 'units']);
      const all = await repo.consumption(portalId, r.since, r.until);
      yield all.map((c) => csvRow([c.day, c.channel_id, c.channel_name, Number(c.units)])).join('');
    }
    return { filename: `whatsappb24-consumption-${r.from}_${r.to}.csv`, body: rows() };
  }
}

/** The days asked for, the missing end filled in (30 days up to today), as [since, until). */
function range(q: ExportQuery, now: Date) {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const to = q.to ? Date.parse(q.to) : q.from ? Math.max(today, Date.parse(q.from)) : today;
  const from = q.from ? Date.parse(q.from) : to - 29 * DAY_MS;
  if ((to - from) / DAY_MS + 1 > EXPORT_MAX_DAYS) {
    throw new ValidationError(`An export covers at most ${EXPORT_MAX_DAYS} days`);
  }
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  return { from: day(from), to: day(to), since: new Date(from), until: new Date(to + DAY_MS) };
}
