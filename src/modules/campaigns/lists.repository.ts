import { sql, type Kysely, type Transaction } from 'kysely';
import { enqueueJob, type NewJob } from '../../jobs/jobs.repository.js';
import type { CampaignRowStatus } from '../../shared/db/campaigns-schema.js';
import type { DB } from '../../shared/db/schema.js';
import type { CampaignListSource, CampaignListStatus } from './campaign-model.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** A campaign as its list needs it: status, channel (its number gives the default country), template. */
export interface CampaignForList {
  id: number;
  portal_id: number;
  channel_id: string;
  template_id: string | null;
  status: string;
  list_source: CampaignListSource | null;
  list_status: CampaignListStatus;
  list_info: Record<string, unknown>;
  rows_total: number;
  rows_rejected: number;
  source_number: string;
}

export interface ListTemplateRow {
  id: string;
  element_name: string;
  template_type: 'TEXT' | 'IMAGE' | 'DOCUMENT' | 'VIDEO';
  header: string | null;
  body: string;
  footer: string | null;
  params: unknown;
  header_param: unknown;
  status: string;
  active: boolean;
  gupshup_id: string | null;
  display_name: string;
}

export interface NewListRow {
  line_no: number;
  raw_phone: string;
  phone_e164: string | null;
  name: string;
  params: string[];
  template_id: string | null;
  status: Extract<CampaignRowStatus, 'ready' | 'rejected'>;
  error_code: string | null;
}

export interface StoredListRow {
  id: number;
  line_no: number;
  raw_phone: string;
  phone_e164: string | null;
  name: string;
  params: unknown;
  template_id: string | null;
  error_code: string | null;
}

/** Every statement of a campaign's list (rows, counters, the list's columns on `campaigns`). */
export class ListsRepository {
  constructor(readonly db: Executor) {}

  transaction<T>(fn: (repo: ListsRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new ListsRepository(trx)));
  }

  /**
   * The portal's campaign; `forUpdate` (inside a transaction) holds it against a start or another
   * upload, `'nowait'` fails at once (PostgreSQL 55P03) when somebody else holds it.
   */
  async campaign(
    portalId: number,
    id: number,
    forUpdate: boolean | 'nowait' = false,
  ): Promise<CampaignForList | undefined> {
    let q = this.db
      .selectFrom('campaigns as c')
      .innerJoin('channels as ch', 'ch.id', 'c.channel_id')
      .select([
        'c.id',
        'c.portal_id',
        'c.channel_id',
        'c.template_id',
        'c.status',
        'c.list_source',
        'c.list_status',
        'c.list_info',
        'c.rows_total',
        'c.rows_rejected',
        'ch.source_number',
      ])
      .where('c.portal_id', '=', portalId)
      .where('c.id', '=', id);
    if (forUpdate) q = q.forUpdate('c');
    if (forUpdate === 'nowait') q = q.noWait();
    return await q.executeTakeFirst();
  }

  /** The channel's templates that are not deleted (any status: a row naming a paused one is told so). */
  async channelTemplates(channelId: string): Promise<ListTemplateRow[]> {
    return await this.db
      .selectFrom('templates')
      .select([
        'id',
        'element_name',
        'template_type',
        'header',
        'body',
        'footer',
        'params',
        'header_param',
        'status',
        'active',
        'gupshup_id',
        'display_name',
      ])
      .where('channel_id', '=', channelId)
      .where('deleted_at', 'is', null)
      .execute();
  }

  async deleteRows(campaignId: number): Promise<void> {
    await this.db.deleteFrom('campaign_rows').where('campaign_id', '=', campaignId).execute();
  }

  /** One multi-row insert (the caller batches, e.g. 1,000 rows a statement). */
  async insertRows(campaignId: number, rows: NewListRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('campaign_rows')
      .values(rows.map((r) => ({ ...r, campaign_id: campaignId, params: JSON.stringify(r.params) })))
      .execute();
  }

  /** The list's columns on the campaign. */
  async setList(
    campaignId: number,
    v: {
      source: CampaignListSource | null;
      status: CampaignListStatus;
      info: Record<string, unknown>;
      total: number;
      rejected: number;
    },
  ): Promise<void> {
    await this.db
      .updateTable('campaigns')
      .set({
        list_source: v.source,
        list_status: v.status,
        list_info: JSON.stringify(v.info),
        rows_total: v.total,
        rows_rejected: v.rejected,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', campaignId)
      .execute();
  }

  /** Which of these numbers are already on the list (not rejected): a CRM list's later pages. */
  async listedPhones(campaignId: number, phones: string[]): Promise<Set<string>> {
    if (phones.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('campaign_rows')
      .select('phone_e164')
      .where('campaign_id', '=', campaignId)
      .where('status', '<>', 'rejected')
      .where('phone_e164', '=', sql<string>`any(${sql.val(phones)}::text[])`)
      .execute();
    return new Set(rows.map((r) => r.phone_e164 ?? ''));
  }

  async enqueue(job: NewJob): Promise<void> {
    await enqueueJob(this.db, job);
  }

  /** The first rows in file order, accepted ones or rejected ones. */
  async firstRows(campaignId: number, rejected: boolean, limit: number): Promise<StoredListRow[]> {
    return await this.db
      .selectFrom('campaign_rows')
      .select(['id', 'line_no', 'raw_phone', 'phone_e164', 'name', 'params', 'template_id', 'error_code'])
      .where('campaign_id', '=', campaignId)
      .where('status', rejected ? '=' : '<>', 'rejected')
      .orderBy('line_no')
      .limit(limit)
      .execute();
  }

  /** Rejected rows after `afterLine`, a page at a time (the rejected.csv download). */
  async rejectedPage(campaignId: number, afterLine: number, limit: number): Promise<StoredListRow[]> {
    return await this.db
      .selectFrom('campaign_rows')
      .select(['id', 'line_no', 'raw_phone', 'phone_e164', 'name', 'params', 'template_id', 'error_code'])
      .where('campaign_id', '=', campaignId)
      .where('status', '=', 'rejected')
      .where('line_no', '>', afterLine)
      .orderBy('line_no')
      .limit(limit)
      .execute();
  }
}
