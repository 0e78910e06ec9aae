import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CrmListEntity, CrmListFilter, CrmListRecord } from '../../integrations/bitrix24/crm-lists.js';
import { outcomeOf, type JobHandler } from '../../jobs/worker.js';
import { ConflictError } from '../../shared/errors.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import { normalizeRecipientPhone } from '../notifications/phone.js';
import { CRM_ENTITIES, type CrmListStarted } from './campaign-model.js';
import { checkLine } from './list-check.js';
import type { CrmListInput } from './list-schemas.js';
import { listText } from './list-texts.js';
import type { ListsRepository } from './lists.repository.js';
import { listView, type ListsService } from './lists.service.js';

/** Reads one page of CRM records (integrations/bitrix24/crm-lists.ts). */
export interface CrmListReader {
  page(
    portalId: number,
    entity: CrmListEntity,
    filter: CrmListFilter,
    start: number,
  ): Promise<{ records: CrmListRecord[]; next: number | null }>;
}

export const CRM_LIST_TOPIC = 'campaign.list.crm';

const payloadSchema = z.object({
  campaignId: z.number().int().positive(),
  run: z.string(),
  start: z.number().int().min(0),
  line: z.number().int().min(0),
  rejected: z.number().int().min(0),
});
type Payload = z.infer<typeof payloadSchema>;

const infoSchema = z
  .object({
    run: z.string(),
    entity: z.enum(CRM_ENTITIES),
    filter: z
      .object({
        categoryId: z.number().optional(),
        stageId: z.string().optional(),
        sourceId: z.string().optional(),
        tag: z.string().optional(),
        assignedById: z.number().optional(),
      })
      .loose(),
    params: z.array(z.string()).default([]),
  })
  .loose();

/**
 * A campaign's list from a CRM filter (issue 14): the request empties the list and marks it
 * `loading`; a job per page reads 50 records (a deal: its contact's phones) within the portal's REST
 * budget and stores their rows with the same checks as a CSV's, each page in one transaction with the
 * next page's job (a retried page is read again, never stored twice). The last page makes the list
 * `ready`. A newer list (CSV or CRM) makes the older run's jobs stop (`list_info.run`).
 */
export class CrmListService {
  constructor(
    private readonly d: {
      repo: ListsRepository;
      lists: ListsService;
      crm: CrmListReader;
      maxRows: number;
      nudge: () => void;
    },
  ) {}

  async start(p: ApiPrincipal, id: number, input: CrmListInput): Promise<CrmListStarted> {
    await this.d.lists.campaign(p, id);
    const lang = await this.d.lists.lang(p.portalId);
    const run = randomUUID();
    await this.d.repo.transaction(async (repo) => {
      const c = await repo.campaign(p.portalId, id, true);
      if (!c || c.status !== 'draft') throw new ConflictError(listText('not_draft', lang));
      if (c.list_status === 'loading') throw new ConflictError(listText('list_loading', lang));
      await repo.deleteRows(c.id);
      const filter = { ...input.filter, sourceId: input.filter.sourceId ?? input.filter.tag };
      await repo.setList(c.id, {
        source: 'crm',
        status: 'loading',
        info: {
          run,
          entity: input.entity,
          filter,
          params: input.params,
          startedAt: new Date().toISOString(),
        },
        total: 0,
        rejected: 0,
      });
      await this.#enqueue(repo, p.portalId, { campaignId: c.id, run, start: 0, line: 0, rejected: 0 });
    });
    this.d.nudge();
    return { list: listView(await this.d.lists.campaign(p, id)) };
  }

  job(): JobHandler {
    return {
      run: async (job) => {
        const parsed = payloadSchema.safeParse(job.payload);
        if (!parsed.success || job.portal_id === null) return { kind: 'dead', error: 'bad payload' };
        try {
          return await this.#page(job.portal_id, parsed.data);
        } catch (err) {
          return outcomeOf(err);
        }
      },
      onDead: async (job, error) => {
        const parsed = payloadSchema.safeParse(job.payload);
        if (!parsed.success || job.portal_id === null) return;
        await this.#fail(job.portal_id, parsed.data, error.slice(0, 200));
      },
    };
  }

  async #page(portalId: number, pl: Payload) {
    const c = await this.d.repo.campaign(portalId, pl.campaignId);
    const info = infoSchema.safeParse(c?.list_info);
    if (!c || !current(c, pl) || !info.success) return { kind: 'done' as const };
    const { entity, filter, params } = info.data;
    const page = await this.d.crm.page(portalId, entity, filter, pl.start);
    let next = false;
    await this.d.repo.transaction(async (repo) => {
      const cur = await repo.campaign(portalId, pl.campaignId, true);
      if (!cur || !current(cur, pl)) return;
      const ctx = await this.d.lists.checkContext(repo, cur);
      const line = (r: CrmListRecord, i: number) => ({
        line: pl.line + i + 1,
        rawPhone: pickPhone(r.phones, ctx.defaultCountry),
        name: r.name,
        params: params.map((v) => v.replaceAll('{name}', r.name)),
        templateCode: null,
      });
      const lines = page.records.map(line);
      const wanted = lines
        .map((l) => normalizeRecipientPhone(l.rawPhone, ctx))
        .flatMap((x) => (x.ok ? [x.e164] : []));
      for (const phone of await repo.listedPhones(cur.id, wanted)) ctx.seen.add(phone);
      const total = pl.line + lines.length;
      const rejected =
        pl.rejected +
        (await this.d.lists.storeBatch(
          repo,
          cur,
          lines.map((l) => checkLine(l, ctx)),
        ));
      const base = { source: 'crm' as const, info: cur.list_info, total, rejected };
      if (total > this.d.maxRows) {
        await repo.setList(cur.id, {
          ...base,
          status: 'failed',
          info: { ...cur.list_info, error: 'too_many_rows' },
        });
      } else if (page.next !== null && page.records.length > 0) {
        await repo.setList(cur.id, { ...base, status: 'loading' });
        await this.#enqueue(repo, portalId, { ...pl, start: page.next, line: total, rejected });
        next = true;
      } else {
        await repo.setList(cur.id, {
          ...base,
          status: 'ready',
          info: { ...cur.list_info, finishedAt: new Date().toISOString() },
        });
      }
    });
    if (next) this.d.nudge();
    return { kind: 'done' as const };
  }

  async #fail(portalId: number, pl: Payload, error: string): Promise<void> {
    await this.d.repo.transaction(async (repo) => {
      const c = await repo.campaign(portalId, pl.campaignId, true);
      if (!c || !current(c, pl)) return;
      await repo.setList(c.id, {
        source: 'crm',
        status: 'failed',
        info: { ...c.list_info, error },
        total: c.rows_total,
        rejected: c.rows_rejected,
      });
    });
  }

  async #enqueue(repo: ListsRepository, portalId: number, pl: Payload): Promise<void> {
    await repo.enqueue({
      topic: CRM_LIST_TOPIC,
      portalId,
      payload: { ...pl },
      dedupeKey: `camp-crm:${pl.campaignId}:${pl.run}:${pl.start}`,
    });
  }
}

function current(
  c: { status: string; list_status: string; list_info: Record<string, unknown> },
  pl: Payload,
) {
  return c.status === 'draft' && c.list_status === 'loading' && c.list_info.run === pl.run;
}

/** The record's first phone that is a valid mobile; else its first phone (rejected), else none. */
function pickPhone(phones: string[], defaultCountry: string): string {
  return phones.find((p) => normalizeRecipientPhone(p, { defaultCountry }).ok) ?? phones[0] ?? '';
}
