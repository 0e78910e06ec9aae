import type { TemplateEvent } from '../../integrations/gupshup/gupshup.webhook.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { TemplateRow } from '../../shared/db/schema.js';
import { ConflictError, FieldIssuesError, NotFoundError } from '../../shared/errors.js';
import type { Lang } from '../../shared/i18n.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import type {
  TemplateChannels,
  TemplateMedia,
  TemplateProvider,
  TemplateRoles,
  TraceWriter,
} from './ports.js';
import { TemplateAccess } from './template-access.js';
import { acceptTemplateEvent } from './template-events.js';
import { deleteJob, enqueueDelete, enqueueSubmit, submitJob } from './template-jobs.js';
import { checkUpload } from './template-media.js';
import { LIMITS, mediaTypeOf, validateTemplate, type RuleIssue } from './template-rules.js';
import { enqueueSync, scheduleJob, scheduleSync, syncJob } from './template-sync.js';
import { ruleMessage } from './template-texts.js';
import { toView, type TemplateDraft, type TemplateView } from './template-view.js';
import { isUniqueViolation, type TemplatesRepository } from './templates.repository.js';

export type { TemplateDraft, TemplateView } from './template-view.js';

export interface TemplatesDeps {
  repo: TemplatesRepository;
  provider: TemplateProvider;
  channels: TemplateChannels;
  media: TemplateMedia;
  roles: TemplateRoles;
  trace: TraceWriter;
  /** TEMPLATE_SYNC_MINUTES in ms. */
  syncEveryMs: number;
  nudge: () => void;
}

/** GET /templates filters; each one narrows the list. */
export interface TemplateQuery {
  channelId?: string | undefined;
  category?: string | undefined;
  status?: string | undefined;
  language?: string | undefined;
  active?: boolean | undefined;
  q?: string | undefined;
}

/** A file for a template header (POST /templates/media), as it arrived. */
export interface TemplateUpload {
  bytes: Buffer;
  contentType: string | undefined;
  name: string | undefined;
}

/** The issues in the caller's language, as a 400 (or 409). */
function refuse(lang: Lang, issues: RuleIssue[], code: 'validation_error' | 'conflict' = 'validation_error') {
  return new FieldIssuesError(
    code,
    issues.map((i) => ({ field: i.field, code: i.code, message: ruleMessage(lang, i) })),
  );
}

/**
 * WhatsApp templates (C6): made here and submitted to Gupshup for review (templates.submit), kept in
 * step with Gupshup by its events and a periodic sync (template-sync.ts), deleted through Gupshup
 * (templates.delete). Who may do what: template-access.ts. Only approved, active templates assigned
 * to a chat's open line are offered there (`offered`).
 */
export class TemplatesService {
  readonly access: TemplateAccess;

  constructor(private readonly d: TemplatesDeps) {
    this.access = new TemplateAccess(d.roles);
  }

  async #views(rows: TemplateRow[]): Promise<TemplateView[]> {
    const lines = await this.d.repo.linesOf(rows.map((r) => r.id));
    return rows.map((r) => toView(r, lines.get(r.id) ?? []));
  }

  async #view(row: TemplateRow): Promise<TemplateView> {
    return (await this.#views([row]))[0] as TemplateView;
  }

  /** The template, when the caller may do `action` on its channel (404 / 403 otherwise). */
  async #find(p: ApiPrincipal, id: string, action: 'read' | 'manage'): Promise<TemplateRow> {
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await this.d.repo.find(p.portalId, id) : undefined;
    if (!row) throw new NotFoundError('Template not found');
    await this.access.require(p, action, row.channel_id);
    return row;
  }

  async #channel(portalId: number, channelId: string) {
    const channel = await this.d.repo.channel(portalId, channelId);
    if (!channel) throw new NotFoundError('Channel not found');
    return channel;
  }

  // ---------------------------------------------------------------- the API

  async list(p: ApiPrincipal, q: TemplateQuery): Promise<TemplateView[]> {
    const scope = await this.access.scope(p, 'read');
    if (q.channelId && !TemplateAccess.includes(scope, q.channelId)) {
      await this.access.require(p, 'read', q.channelId);
    }
    const channelIds = q.channelId ? [q.channelId] : scope === 'all' ? undefined : [...scope];
    return this.#views(await this.d.repo.list(p.portalId, { ...q, channelIds }));
  }

  async get(p: ApiPrincipal, id: string): Promise<TemplateView> {
    return this.#view(await this.#find(p, id, 'read'));
  }

  /** Checks the draft, stores it as 'draft' and queues its submission, together. */
  async create(p: ApiPrincipal, draft: TemplateDraft, lang: Lang): Promise<TemplateView> {
    await this.access.require(p, 'manage', draft.channelId);
    const channel = await this.#channel(p.portalId, draft.channelId);
    const issues = validateTemplate(draft);
    if (!channel.gupshup_app_id) issues.unshift({ field: 'channelId', code: 'channel_no_app_id' });
    if (draft.sampleMediaId && !issues.some((i) => i.field === 'sampleMediaId')) {
      const file = await this.d.media.fileOf(p.portalId, draft.sampleMediaId);
      if (!file) issues.push({ field: 'sampleMediaId', code: 'sample_media_not_found' });
      else if (mediaTypeOf(file.mime) !== draft.type) {
        issues.push({
          field: 'sampleMediaId',
          code: 'sample_media_wrong_type',
          params: { mime: file.mime, type: draft.type },
        });
      }
    }
    if (issues.length) throw refuse(lang, issues);
    let row: TemplateRow;
    try {
      row = await this.d.repo.inTransaction(async (trx) => {
        const inserted = await this.d.repo.insert(trx, {
          portalId: p.portalId,
          channelId: channel.id,
          elementName: draft.elementName,
          displayName: draft.displayName.trim(),
          language: draft.language,
          category: draft.category as TemplateRow['category'],
          type: draft.type as TemplateRow['template_type'],
          header: draft.header || null,
          headerParam: draft.headerParam ?? null,
          body: draft.body,
          footer: draft.footer || null,
          buttons: draft.buttons ?? [],
          params: draft.params,
          sampleMediaId: draft.sampleMediaId ?? null,
          source: 'app',
          createdBy: p.userId,
        });
        await enqueueSubmit(trx, inserted);
        return inserted;
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw refuse(lang, [{ field: 'elementName', code: 'element_name_taken' }], 'conflict');
      }
      throw err;
    }
    this.d.nudge();
    return this.#view(row);
  }

  /** Renames it, or switches it on or off (an inactive template is not offered). */
  async update(
    p: ApiPrincipal,
    id: string,
    patch: { displayName?: string | undefined; active?: boolean | undefined },
    lang: Lang,
  ) {
    const row = await this.#find(p, id, 'manage');
    if (row.status === 'deleted' || row.deleted_at) throw new ConflictError('This template is deleted');
    const displayName = patch.displayName?.trim();
    if (displayName !== undefined) {
      if (!displayName) throw refuse(lang, [{ field: 'displayName', code: 'display_name_required' }]);
      if (displayName.length > LIMITS.displayName) {
        throw refuse(lang, [
          {
            field: 'displayName',
            code: 'display_name_too_long',
            params: { max: LIMITS.displayName, length: displayName.length },
          },
        ]);
      }
    }
    const updated = await this.d.repo.update(this.d.repo.db, row.id, {
      ...(displayName !== undefined ? { display_name: displayName } : {}),
      ...(patch.active !== undefined ? { active: patch.active } : {}),
    });
    return this.#view(updated ?? row);
  }

  /** The open lines whose agents are offered it (none: never offered). */
  async setLines(p: ApiPrincipal, id: string, lineIds: number[], lang: Lang): Promise<TemplateView> {
    const row = await this.#find(p, id, 'manage');
    if (row.status === 'deleted' || row.deleted_at) throw new ConflictError('This template is deleted');
    const wanted = [...new Set(lineIds)];
    if (wanted.length) {
      const known = new Set((await this.d.roles.lines(p.portalId)).map((l) => l.id));
      const issues: RuleIssue[] = wanted
        .filter((l) => !known.has(l))
        .map((line) => ({ field: 'lineIds', code: 'line_unknown', params: { line } }));
      if (issues.length) throw refuse(lang, issues);
    }
    await this.d.repo.inTransaction((trx) => this.d.repo.setLines(trx, row.id, wanted));
    return this.#view((await this.d.repo.byId(row.id)) ?? row);
  }

  /**
   * Asks Gupshup to delete it — every language of its element name, irreversibly (templates.delete).
   * It is not offered from now on; its status is 'deleted' once Gupshup has done it.
   */
  async remove(p: ApiPrincipal, id: string): Promise<TemplateView> {
    const row = await this.#find(p, id, 'manage');
    if (row.status === 'deleted' || row.deleted_at) return this.#view(row);
    const marked = await this.d.repo.inTransaction(async (trx) => {
      const r = await this.d.repo.requestDelete(trx, row.id);
      if (r) await enqueueDelete(trx, r);
      return r;
    });
    this.d.nudge();
    return this.#view(marked ?? row);
  }

  /** A sync of the channel's templates with Gupshup, now (templates.sync). */
  async requestSync(p: ApiPrincipal, channelId: string, lang: Lang): Promise<void> {
    await this.access.require(p, 'manage', channelId);
    const channel = await this.#channel(p.portalId, channelId);
    if (!channel.gupshup_app_id) throw refuse(lang, [{ field: 'channelId', code: 'channel_no_app_id' }]);
    // Two clicks in a row are one sync.
    await enqueueSync(this.d.repo.db, p.portalId, channel.id, `manual:${Math.floor(Date.now() / 5_000)}`);
    this.d.nudge();
  }

  /** Stores a header file (sample or header to send) after checking its type and size. */
  async uploadMedia(
    p: ApiPrincipal,
    u: TemplateUpload,
  ): Promise<{ mediaId: string; mime: string; size: number; name: string }> {
    await this.access.requireAny(p, 'use');
    const file = checkUpload(u.bytes, u.contentType, u.name);
    const mediaId = await this.d.media.storeUpload(p.portalId, file);
    return { mediaId, mime: file.mime, size: file.bytes.length, name: file.name };
  }

  // ---------------------------------------------------------------- for the send and pages helpers

  /** What agents in a chat on `lineId` of `channelId` may send: approved, active, assigned to the line. */
  async offered(portalId: number, channelId: string, lineId: number): Promise<TemplateView[]> {
    return this.#views(await this.d.repo.offered(portalId, channelId, lineId));
  }

  /** One template of the portal, whatever its status, without a permission check (the caller has one). */
  async byId(portalId: number, id: string): Promise<TemplateView | undefined> {
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await this.d.repo.find(portalId, id) : undefined;
    return row ? this.#view(row) : undefined;
  }

  /** A public link to a stored header file (for Gupshup), e.g. the template's sample. */
  mediaLink(mediaId: string): string {
    return this.d.media.link(mediaId);
  }

  // ---------------------------------------------------------------- webhook and worker

  /** A Gupshup template event for one of the channel's templates (database only). */
  async acceptEvent(channel: { id: string; portalId: number }, e: TemplateEvent): Promise<void> {
    const outcome = await acceptTemplateEvent(this.d, channel, e);
    if (outcome === 'unknown_template') this.d.nudge();
  }

  /** Starts the periodic sync chain (idempotent across instances: one schedule job per period). */
  async schedulePeriodicSync(): Promise<void> {
    await scheduleSync(this.d.repo.db, this.d.syncEveryMs);
    this.d.nudge();
  }

  submitJob(): JobHandler {
    return submitJob(this.d);
  }

  deleteJob(): JobHandler {
    return deleteJob(this.d);
  }

  syncJob(): JobHandler {
    return syncJob({ ...this.d, everyMs: this.d.syncEveryMs });
  }

  scheduleJob(): JobHandler {
    return scheduleJob({ ...this.d, everyMs: this.d.syncEveryMs });
  }
}
