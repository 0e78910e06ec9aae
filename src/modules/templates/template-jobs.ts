import { GupshupTemplateError } from '../../integrations/gupshup/templates.js';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import type { TemplateRow, TraceLevel } from '../../shared/db/schema.js';
import type { TraceEntry } from '../trace/trace.service.js';
import type { TraceStep } from '../trace/trace-steps.js';
import { renderTemplate, type TemplateButton, type TemplateParam } from './template-rules.js';
import { statusFromGupshup } from './template-view.js';
import type {
  GupshupAppKey,
  TemplateChannels,
  TemplateMedia,
  TemplateProvider,
  TraceWriter,
} from './ports.js';
import type { Executor, TemplatesRepository } from './templates.repository.js';

/**
 * The template jobs that call Gupshup: `templates.submit` and `templates.delete`. A channel's template
 * jobs share one chat key, so they run one at a time and in order (a delete never overtakes the
 * submit it undoes; a sync never races a create).
 */
export interface TemplateJobDeps {
  repo: TemplatesRepository;
  provider: TemplateProvider;
  channels: TemplateChannels;
  media: Pick<TemplateMedia, 'link'>;
  trace: TraceWriter;
}

export const templatesChatKey = (channelId: string): string => `templates:${channelId}`;

type Ref = Pick<TemplateRow, 'id' | 'portal_id' | 'channel_id'>;

export async function enqueueSubmit(exec: Executor, t: Ref): Promise<void> {
  await enqueueJob(exec, {
    topic: 'templates.submit',
    portalId: t.portal_id,
    payload: { templateId: t.id, channelId: t.channel_id },
    dedupeKey: `templates.submit:${t.id}`,
    chatKey: templatesChatKey(t.channel_id),
  });
}

export async function enqueueDelete(exec: Executor, t: Ref): Promise<void> {
  await enqueueJob(exec, {
    topic: 'templates.delete',
    portalId: t.portal_id,
    payload: { templateId: t.id, channelId: t.channel_id },
    dedupeKey: `templates.delete:${t.id}:${Date.now()}`,
    chatKey: templatesChatKey(t.channel_id),
  });
}

/** A trace row about one template: its element name and language, then what happened. */
export function templateTrace(
  t: Pick<TemplateRow, 'portal_id' | 'channel_id' | 'element_name' | 'language'>,
  step: TraceStep,
  o: { level?: TraceLevel; code?: string | null; detail?: string | null } = {},
): TraceEntry {
  return {
    portalId: t.portal_id,
    channelId: t.channel_id,
    step,
    level: o.level ?? 'INFO',
    code: o.code ?? null,
    detail: `${t.element_name} (${t.language})${o.detail ? `: ${o.detail}` : ''}`,
  };
}

/** The channel's Gupshup app and key; undefined when the channel is gone or has no App ID. */
export async function appKey(
  channels: TemplateChannels,
  channelId: string,
): Promise<GupshupAppKey | undefined> {
  const s = await channels.secrets(channelId);
  return s?.appId ? { appId: s.appId, apiKey: s.apiKey } : undefined;
}

const templateIdOf = (payload: unknown): string | undefined => {
  const id = (payload as { templateId?: unknown }).templateId;
  return typeof id === 'string' ? id : undefined;
};

/** What Gupshup gets for our template (§4.3): the samples in place, the header file as a link. */
function submission(t: TemplateRow, media: Pick<TemplateMedia, 'link'>) {
  const params = (t.params as TemplateParam[]).map((p) => p.example);
  const headerParam = t.header_param as TemplateParam | null;
  return {
    elementName: t.element_name,
    language: t.language,
    category: t.category,
    type: t.template_type,
    vertical: t.display_name,
    header: t.header ?? undefined,
    headerExample:
      t.header && headerParam ? renderTemplate({ body: t.header }, [headerParam.example]) : undefined,
    body: t.body,
    bodyExample: renderTemplate(t, params),
    footer: t.footer ?? undefined,
    buttons: t.buttons as TemplateButton[],
    mediaUrl: t.sample_media_id ? media.link(t.sample_media_id) : undefined,
  };
}

/**
 * templates.submit: Gupshup's create, exactly once. The template is marked 'submitting' in its own
 * commit first; a run that finds it still so (an answer lost, a crash) looks for it by element name
 * and language in Gupshup's list and only creates it when it is not there.
 */
export function submitJob(d: TemplateJobDeps): JobHandler {
  const failed = async (t: TemplateRow, reason: string, code: string | null) => {
    await d.repo.inTransaction(async (trx) => {
      if (await d.repo.recordFailed(trx, t.id, reason)) {
        await d.trace(
          trx,
          templateTrace(t, 'template_submit_failed', { level: 'ERROR', code, detail: reason }),
        );
      }
    });
  };
  return {
    run: async (job) => {
      const id = templateIdOf(job.payload);
      const t = id ? await d.repo.byId(id) : undefined;
      if (!t) return { kind: 'cancel', reason: 'template not found' };
      if (t.status !== 'draft' && t.status !== 'submitting') return { kind: 'done' };
      if (t.deleted_at && t.status === 'draft') {
        await markDeleted(d, t);
        return { kind: 'done' };
      }
      const app = await appKey(d.channels, t.channel_id);
      if (!app) {
        await failed(t, 'The channel has no Gupshup App ID or API key', 'no_app');
        return { kind: 'done' };
      }
      if (t.status === 'submitting') {
        const found = (await d.provider.list(app)).templates.find(
          (g) => g.elementName === t.element_name && g.language === t.language,
        );
        if (found) return recordCreated(d, t, found.id, found.status);
      } else if (!(await d.repo.markSubmitting(t.id))) {
        return { kind: 'done' };
      }
      try {
        const res = await d.provider.create(app, submission(t, d.media));
        return await recordCreated(d, t, res.id, res.status);
      } catch (err) {
        if (!(err instanceof GupshupTemplateError) || err.retryable || err.outcomeUnknown) throw err;
        await failed(t, err.refusal ?? err.message, err.providerCode ?? null);
        return { kind: 'done' };
      }
    },
    onDead: async (job, error) => {
      const id = templateIdOf(job.payload);
      const t = id ? await d.repo.byId(id) : undefined;
      if (t) await failed(t, `Could not submit to Gupshup: ${error}`, 'gave_up');
    },
  };
}

async function recordCreated(
  d: TemplateJobDeps,
  t: TemplateRow,
  gupshupId: string,
  status: string,
): Promise<JobOutcome> {
  await d.repo.inTransaction(async (trx) => {
    const row = await d.repo.recordSubmitted(trx, t.id, gupshupId, {
      status: statusFromGupshup(status) ?? 'pending',
      reason: null,
    });
    if (row) await d.trace(trx, templateTrace(t, 'template_submitted', { code: status }));
  });
  return { kind: 'done' };
}

/** Every language of the template's element name is gone from our list (Gupshup deletes them together). */
async function markDeleted(d: TemplateJobDeps, t: TemplateRow, only = false): Promise<void> {
  await d.repo.inTransaction(async (trx) => {
    const rows = only
      ? [await d.repo.setStatus(trx, t.id, { status: 'deleted', reason: null })].filter(
          (r) => r !== undefined,
        )
      : await d.repo.markElementDeleted(trx, t.channel_id, t.element_name);
    await d.trace(trx, ...rows.map((r) => templateTrace(r, 'template_deleted')));
  });
}

/**
 * templates.delete: Gupshup's delete by element name (every language, irreversible). A template that
 * never reached Gupshup is deleted here only; one whose submission is in doubt is looked up first.
 */
export function deleteJob(d: TemplateJobDeps): JobHandler {
  const refused = async (t: TemplateRow, reason: string, code: string | null) => {
    await d.repo.inTransaction(async (trx) => {
      await d.repo.deleteRefused(trx, t.id, reason);
      await d.trace(trx, templateTrace(t, 'template_delete_failed', { level: 'WARN', code, detail: reason }));
    });
  };
  return {
    run: async (job) => {
      const id = templateIdOf(job.payload);
      const t = id ? await d.repo.byId(id) : undefined;
      if (!t || t.status === 'deleted' || !t.deleted_at) return { kind: 'done' };
      const app = await appKey(d.channels, t.channel_id);
      let known = t.gupshup_id !== null;
      if (!known && t.status === 'submitting' && app) {
        const { templates } = await d.provider.list(app);
        known = templates.some((g) => g.elementName === t.element_name && g.language === t.language);
      }
      // Never reached Gupshup (a draft, a refused submission): nothing to delete there, and Gupshup's
      // delete would take a same-named template of the console with it.
      if (!known) {
        await markDeleted(d, t, true);
        return { kind: 'done' };
      }
      if (!app) {
        await refused(t, 'The channel has no Gupshup App ID or API key', 'no_app');
        return { kind: 'done' };
      }
      try {
        await d.provider.delete(app, t.element_name);
      } catch (err) {
        if (!(err instanceof GupshupTemplateError) || err.retryable) throw err;
        await refused(t, err.refusal ?? err.message, err.providerCode ?? null);
        return { kind: 'done' };
      }
      await markDeleted(d, t);
      return { kind: 'done' };
    },
    onDead: async (job, error) => {
      const id = templateIdOf(job.payload);
      const t = id ? await d.repo.byId(id) : undefined;
      if (t && t.status !== 'deleted') await refused(t, `Could not reach Gupshup: ${error}`, 'gave_up');
    },
  };
}
