import type { Lang } from '../../shared/i18n.js';
import { csvRow } from '../../shared/csv.js';
import type { CsvExport } from '../billing/export.service.js';
import type { CampaignReport } from './campaign-model.js';
import { EMPTY_COUNTS, type CampaignRow, type CampaignsRepository } from './campaigns.repository.js';
import type { ReportRepository } from './report.repository.js';
import { failureText } from './report-texts.js';
import { allowedPerSec } from './throttle.js';

const PAGE = 2000;
const BOM = '\uFEFF';

/**
 * A campaign's report (GET /campaigns/:id/report): the funnel queued → sent → delivered → read →
 * replied from its rows' messages (each step counts the rows that reached it or went further),
 * failures by code with their meaning, how far the list is, and the pace of the last minute against
 * the pace allowed now (campaign-model.ts CampaignReport). And the per-row export
 * (GET /campaigns/:id/rows.csv), streamed page by page.
 */
export class ReportService {
  constructor(
    private readonly d: {
      repo: ReportRepository;
      campaigns: Pick<CampaignsRepository, 'counts'>;
      channelPerSec: number;
    },
  ) {}

  async report(c: CampaignRow, lang: Lang): Promise<CampaignReport> {
    const [counts, failures, perMinute] = await Promise.all([
      this.d.campaigns.counts([c.id]).then((m) => m.get(c.id)),
      this.d.repo.failures(c.id),
      this.d.repo.lastMinute(c.id),
    ]);
    const n = counts ?? EMPTY_COUNTS;
    return {
      funnel: {
        queued: n.queued,
        sent: n.sent,
        delivered: n.delivered,
        read: n.read,
        replied: n.replied,
        failed: n.failed,
      },
      failures: failures.map((f) => ({
        code: f.code,
        count: f.count,
        message: failureText(lang, f.code, paramsOf(f.detail)),
      })),
      progress: n.total > 0 ? Math.round(((n.total - n.ready) / n.total) * 1000) / 1000 : 0,
      rate: {
        perMinute,
        cap: c.rate_per_minute,
        allowedPerMinute: Math.round(
          allowedPerSec(c.rate_per_minute, this.d.channelPerSec, c.pace_factor) * 60,
        ),
      },
    };
  }

  rowsCsv(c: CampaignRow): CsvExport {
    const repo = this.d.repo;
    async function* rows(): AsyncGenerator<string> {
      yield (
        BOM +
        csvRow([
          'line',
          'phone',
          'raw_phone',
          'name',
          'status',
          'error_code',
          'message_status',
          'message_error',
          'queued_at',
          'sent_at',
          'delivered_at',
          'read_at',
          'replied_at',
        ])
      );
      for (let after = 0; ;) {
        const page = await repo.exportPage(c.id, after, PAGE);
        yield page
          .map((r) =>
            csvRow([
              r.line_no,
              r.phone_e164,
              r.raw_phone,
              r.name,
              r.status,
              r.error_code,
              r.message_status,
              r.message_error,
              r.queued_at?.toISOString(),
              r.sent_at?.toISOString(),
              r.delivered_at?.toISOString(),
              r.read_at?.toISOString(),
              r.replied_at?.toISOString(),
            ]),
          )
          .join('');
        const last = page.at(-1);
        if (!last || page.length < PAGE) return;
        after = last.id;
      }
    }
    return { filename: `campaign-${c.id}-rows.csv`, body: rows() };
  }
}

/** The values a send refusal kept with the row (dispatch.ts), if its detail holds them. */
function paramsOf(detail: string | null): Record<string, string | number> {
  if (!detail?.startsWith('{')) return {};
  try {
    const p = (JSON.parse(detail) as { params?: unknown }).params;
    if (!p || typeof p !== 'object') return {};
    return Object.fromEntries(
      Object.entries(p).filter((e): e is [string, string | number] =>
        ['string', 'number'].includes(typeof e[1]),
      ),
    );
  } catch {
    return {};
  }
}
