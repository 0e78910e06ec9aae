import { AppError, ConflictError, NotFoundError } from '../../shared/errors.js';
import type { CampaignList, CampaignPreview, ListUpload } from './campaign-model.js';
import type { CampaignsService } from './campaigns.service.js';
import type { Lang } from '../../shared/i18n.js';
import { countryOfNumber } from '../notifications/phone.js';
import { renderMessage, type SendableTemplate } from '../templates/template-send-rules.js';
import { sendable } from '../templates/template-send.service.js';
import type { TemplateForSend } from '../templates/template-send.repository.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import { ListError, parseList, type ListFileInfo, type ListShape } from './csv-list.js';
import { checkLine, type CheckedRow, type ListTemplate } from './list-check.js';
import { listText } from './list-texts.js';
import type { CampaignForList, ListsRepository, ListTemplateRow, NewListRow } from './lists.repository.js';
import type { OptOutsRepository } from './opt-outs.repository.js';

export interface ListLimits {
  maxRows: number;
  maxBytes: number;
}

export interface ListsDeps {
  repo: ListsRepository;
  optOuts: OptOutsRepository;
  /** Who may act on a campaign: portal admins and its channel's bosses (campaigns.service.ts). */
  access: Pick<CampaignsService, 'scope' | 'find'>;
  portalLang: (portalId: number) => Promise<Lang>;
  limits: ListLimits;
}

/** PostgreSQL's "could not obtain lock" (FOR UPDATE NOWAIT). */
const LOCK_NOT_AVAILABLE = '55P03';

/** Rows per insert statement (and per opted-out lookup). */
const BATCH = 1_000;

/** The list part of a campaign as the API shows it (contract, Campaign JSON `list`). */
export function listView(
  c: Pick<CampaignForList, 'list_source' | 'list_status' | 'list_info' | 'rows_total' | 'rows_rejected'>,
): CampaignList {
  return {
    source: c.list_source,
    status: c.list_status,
    rows: c.rows_total,
    rejected: c.rows_rejected,
    info: c.list_info,
  };
}

/**
 * A campaign's recipient list (issue 14): a CSV upload read as it arrives and stored in one
 * transaction (the previous list stays when anything is wrong), the preview as the customer will read
 * it, the rejected rows. Portal admins and bearer tokens, and bosses of the campaign's channel.
 */
export class ListsService {
  /** Uploads being read by this process: each holds a transaction (a connection) while it arrives. */
  #uploading = 0;

  constructor(private readonly d: ListsDeps) {}

  /** 403 unless the caller may manage some channel's campaigns (checked before the input). */
  async mayManage(p: ApiPrincipal): Promise<void> {
    await this.d.access.scope(p);
  }

  lang(portalId: number): Promise<Lang> {
    return this.d.portalLang(portalId);
  }

  /** The campaign when the caller may act on it (403 before 404 for a caller with no channel at all). */
  async campaign(p: ApiPrincipal, id: number): Promise<CampaignForList> {
    await this.d.access.find(p, id);
    const c = await this.d.repo.campaign(p.portalId, id);
    if (!c) throw new NotFoundError('No such campaign');
    return c;
  }

  async uploadCsv(
    p: ApiPrincipal,
    id: number,
    body: AsyncIterable<Buffer | Uint8Array | string>,
    o: { shape: 'auto' | ListShape; fileName: string | null; lang?: Lang | undefined },
  ): Promise<ListUpload> {
    await this.campaign(p, id);
    const lang = o.lang ?? (await this.d.portalLang(p.portalId));
    // A slow or stalled sender must not take the pool the webhooks share: a few uploads at once, each
    // aborted when no bytes arrive for a while; the rest are told to try again.
    if (this.#uploading >= MAX_UPLOADS) {
      throw new AppError('too_many_requests', listText('uploads_busy', lang), 429);
    }
    this.#uploading++;
    try {
      await this.d.repo.transaction(async (repo) => {
        const c = await this.#draft(repo, p.portalId, id, lang);
        const ctx = await this.checkContext(repo, c);
        await repo.deleteRows(c.id);
        let info: ListFileInfo | undefined;
        let batch: CheckedRow[] = [];
        let total = 0;
        let rejected = 0;
        const flush = async () => {
          rejected += await this.storeBatch(repo, c, batch);
          total += batch.length;
          batch = [];
        };
        const lines = parseList(stallGuard(body, STALL_MS), {
          shape: o.shape,
          ...this.d.limits,
          onInfo: (i) => {
            info = i;
            if (i.shape === 'columns' && !ctx.template) throw new ListError('no_template');
          },
        });
        for await (const line of lines) {
          batch.push(checkLine(line, ctx));
          if (batch.length >= BATCH) await flush();
        }
        await flush();
        await repo.setList(c.id, {
          source: 'csv',
          status: 'ready',
          info: { ...info, fileName: o.fileName, defaultCountry: ctx.defaultCountry },
          total,
          rejected,
        });
      });
    } catch (err) {
      if (err instanceof ListError) throw refusal(err, lang);
      throw err;
    } finally {
      this.#uploading--;
    }
    const preview = await this.preview(p, id, 10, lang);
    // `preview` is the contract's name for the first rows; rows, rejected and counts as GET …/preview.
    return { list: listView(await this.campaign(p, id)), preview: preview.rows, ...preview };
  }

  /** The first rows as the customer will read them, and the first rejected ones with their reason. */
  async preview(p: ApiPrincipal, id: number, limit: number, reader?: Lang): Promise<CampaignPreview> {
    const c = await this.campaign(p, id);
    const lang = reader ?? (await this.d.portalLang(p.portalId));
    const templates = new Map((await this.d.repo.channelTemplates(c.channel_id)).map((t) => [t.id, t]));
    const [ok, bad] = await Promise.all([
      this.d.repo.firstRows(c.id, false, limit),
      this.d.repo.firstRows(c.id, true, limit),
    ]);
    return {
      rows: ok.map((r) => {
        const t = templates.get(r.template_id ?? c.template_id ?? '');
        const params = Array.isArray(r.params) ? r.params.map(String) : [];
        return {
          line: r.line_no,
          phone: r.phone_e164,
          name: r.name,
          params,
          text: t ? renderMessage(toSendable(t), params) : '',
          templateName: t?.display_name ?? null,
        };
      }),
      rejected: bad.map((r) => ({
        line: r.line_no,
        rawPhone: r.raw_phone,
        code: r.error_code,
        message: listText(r.error_code ?? '', lang),
      })),
      counts: { rows: c.rows_total, valid: c.rows_total - c.rows_rejected, rejected: c.rows_rejected },
    };
  }

  /** rejected.csv, a page of rows at a time: line, phone as written, name, code, reason, values. */
  async *rejectedCsv(p: ApiPrincipal, id: number, row: (v: Array<string | number>) => string) {
    const c = await this.campaign(p, id);
    const lang = await this.d.portalLang(p.portalId);
    yield row(['line', 'phone', 'name', 'code', 'reason', 'params']);
    for (let after = 0; ;) {
      const page = await this.d.repo.rejectedPage(c.id, after, BATCH);
      for (const r of page) {
        const params = Array.isArray(r.params) ? r.params.map(String).join(' | ') : '';
        yield row([
          r.line_no,
          r.raw_phone,
          r.name,
          r.error_code ?? '',
          listText(r.error_code ?? '', lang),
          params,
        ]);
      }
      if (page.length < BATCH) return;
      after = page[page.length - 1]?.line_no ?? after;
    }
  }

  async #draft(repo: ListsRepository, portalId: number, id: number, lang: Lang): Promise<CampaignForList> {
    // An upload holds the campaign while its file arrives: a second one is refused, not queued behind it.
    const c = await repo.campaign(portalId, id, 'nowait').catch((err: unknown) => {
      if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) {
        throw new ConflictError(listText('list_busy', lang));
      }
      throw err;
    });
    if (!c) throw new NotFoundError('No such campaign');
    if (c.status !== 'draft') throw new ConflictError(listText('not_draft', lang));
    if (c.list_status === 'loading') throw new ConflictError(listText('list_loading', lang));
    return c;
  }

  /** What checking a list's rows needs: the channel's country and templates, the numbers seen. */
  async checkContext(repo: ListsRepository, c: CampaignForList) {
    const rows = await repo.channelTemplates(c.channel_id);
    const all = rows.map(toListTemplate);
    return {
      defaultCountry: countryOfNumber(c.source_number) ?? 'AR',
      template: all.find((t) => t.id === c.template_id) ?? null,
      byCode: new Map(all.map((t) => [t.elementName.toLowerCase(), t])),
      seen: new Set<string>(),
    };
  }

  /** A batch: opted-out numbers rejected, then one insert. Returns how many rows were rejected. */
  async storeBatch(repo: ListsRepository, c: CampaignForList, batch: CheckedRow[]): Promise<number> {
    const out = await this.d.optOuts.among(
      c.portal_id,
      batch.filter((r) => r.code === null && r.phone).map((r) => r.phone!),
    );
    const rows: NewListRow[] = batch.map((r) => {
      const code = r.code ?? (r.phone && out.has(r.phone) ? 'opted_out' : null);
      return {
        line_no: r.line,
        raw_phone: r.rawPhone,
        phone_e164: r.phone,
        name: r.name,
        params: r.params,
        template_id: r.templateId,
        status: code ? 'rejected' : 'ready',
        error_code: code,
      };
    });
    await repo.insertRows(c.id, rows);
    return rows.filter((r) => r.status === 'rejected').length;
  }
}

export function toSendable(t: ListTemplateRow): SendableTemplate {
  return sendable(t as unknown as TemplateForSend);
}

export function toListTemplate(t: ListTemplateRow): ListTemplate {
  return {
    id: t.id,
    elementName: t.element_name,
    usable: t.status === 'approved' && t.active && t.gupshup_id !== null,
    sendable: toSendable(t),
  };
}

/** A refused file: 413 over the limits, 415 not a CSV, 400 otherwise, with words in the portal's language. */
/** Lists read at once by one process (each holds a database connection until its file has arrived). */
export const MAX_UPLOADS = 2;
/** An upload that sends nothing for this long is aborted (408): its connection goes back to the pool. */
export const STALL_MS = 30_000;

/** The body's chunks, failing with ListError('stalled') when the next one takes longer than `ms`. */
export async function* stallGuard<T>(body: AsyncIterable<T>, ms: number): AsyncGenerator<T> {
  const it = body[Symbol.asyncIterator]();
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ListError('stalled', { seconds: Math.round(ms / 1000) })), ms);
    });
    try {
      const next = await Promise.race([it.next(), stalled]);
      if (next.done) return;
      yield next.value;
    } catch (err) {
      await it.return?.().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

function refusal(err: ListError, lang: Lang): AppError {
  const values = { ...err.detail, mb: Math.round((Number(err.detail.max ?? 0) / 1_048_576) * 10) / 10 };
  const message = listText(err.kind, lang, values);
  if (err.kind === 'too_many_rows' || err.kind === 'too_many_bytes') {
    return new AppError('payload_too_large', message, 413, { reason: err.kind });
  }
  if (err.kind === 'stalled') {
    return new AppError('bad_request', message, 408, { reason: err.kind });
  }
  if (err.kind === 'not_csv') {
    return new AppError('unsupported_media_type', message, 415, { reason: err.kind });
  }
  return new AppError('bad_request', message, 400, { reason: err.kind });
}
