import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { TemplateRow, TemplateStatus } from '../../shared/db/schema.js';
import type { TraceStep } from '../trace/trace-steps.js';
import { appKey, templatesChatKey, templateTrace, type TemplateJobDeps } from './template-jobs.js';
import { placeholders, TEMPLATE_CATEGORIES, TEMPLATE_TYPES, type TemplateType } from './template-rules.js';
import { examplesFrom, statusFromGupshup } from './template-view.js';
import type { GupshupTemplate } from './ports.js';
import type { Executor, TemplateContentPatch } from './templates.repository.js';

/**
 * The periodic sync (every TEMPLATE_SYNC_MINUTES): `templates.schedule` runs once per period slot,
 * whoever enqueues it first (dedupe key of the slot), enqueues one `templates.sync` per channel with a
 * Gupshup App ID, and enqueues itself for the next slot. `templates.sync` reads the channel's list:
 * statuses follow Gupshup, templates made in the Gupshup console are imported (source 'console', with
 * no open line: not offered until an admin assigns them), and ours that Gupshup no longer has are
 * marked deleted — only when the list was read whole.
 */
export interface SyncDeps extends TemplateJobDeps {
  everyMs: number;
}

/** The schedule job of the slot `afterMs` from now lies in (now: the current slot, run at once). */
export async function scheduleSync(exec: Executor, everyMs: number, afterMs = 0): Promise<void> {
  const at = Date.now() + afterMs;
  const slot = new Date(Math.floor(at / everyMs) * everyMs);
  await enqueueJob(exec, {
    topic: 'templates.schedule',
    portalId: null,
    payload: {},
    dedupeKey: `templates.schedule:${slot.toISOString()}`,
    runAt: afterMs > 0 ? slot : new Date(),
  });
}

export async function enqueueSync(
  exec: Executor,
  portalId: number,
  channelId: string,
  key: string,
): Promise<void> {
  await enqueueJob(exec, {
    topic: 'templates.sync',
    portalId,
    payload: { channelId },
    dedupeKey: `templates.sync:${channelId}:${key}`,
    chatKey: templatesChatKey(channelId),
  });
}

export function scheduleJob(d: SyncDeps): JobHandler {
  return {
    run: async (_job, log) => {
      const slot = new Date(Math.floor(Date.now() / d.everyMs) * d.everyMs).toISOString();
      const channels = await d.repo.syncableChannels();
      await d.repo.inTransaction(async (trx) => {
        for (const c of channels) await enqueueSync(trx, c.portalId, c.id, slot);
        await scheduleSync(trx, d.everyMs, d.everyMs);
      });
      log.info({ channels: channels.length }, 'Template sync scheduled.');
      return { kind: 'done' };
    },
  };
}

const STEP: Partial<Record<TemplateStatus, TraceStep>> = {
  approved: 'template_approved',
  rejected: 'template_rejected',
  paused: 'template_paused',
  disabled: 'template_disabled',
  deleted: 'template_deleted',
};

/** The trace step of a status change. */
export function statusStep(status: TemplateStatus): TraceStep {
  return STEP[status] ?? 'template_status_changed';
}

const LEVEL: Partial<Record<TemplateStatus, 'WARN' | 'ERROR'>> = {
  rejected: 'WARN',
  paused: 'WARN',
  disabled: 'ERROR',
  failed: 'ERROR',
};
export const statusLevel = (s: TemplateStatus) => LEVEL[s] ?? 'INFO';

export function syncJob(d: SyncDeps): JobHandler {
  return {
    run: async (job, log) => {
      const channelId = (job.payload as { channelId?: unknown }).channelId;
      if (typeof channelId !== 'string' || job.portal_id === null) {
        return { kind: 'dead', error: 'no channelId or portal' };
      }
      const portalId = job.portal_id;
      const app = await appKey(d.channels, channelId);
      if (!app) return { kind: 'done' };
      const { templates, complete } = await d.provider.list(app);
      const counts = await d.repo.inTransaction((trx) =>
        applyList(d, trx, { portalId, channelId }, templates, complete),
      );
      log.info({ channelId, ...counts, complete }, 'Templates synced with Gupshup.');
      return { kind: 'done' };
    },
  };
}

type ChannelRef = { portalId: number; channelId: string };

const nameKey = (elementName: string, language: string) => `${elementName}\u0000${language}`;

async function applyList(
  d: SyncDeps,
  trx: Executor,
  ch: ChannelRef,
  list: GupshupTemplate[],
  complete: boolean,
): Promise<{ updated: number; imported: number; deleted: number }> {
  const ours = await d.repo.ofChannel(trx, ch.channelId);
  const byId = new Map(ours.filter((t) => t.gupshup_id).map((t) => [t.gupshup_id as string, t]));
  // Names and languages our live rows hold (the unique index): an import must not collide with one.
  const taken = new Set(ours.map((t) => nameKey(t.element_name, t.language)));
  const counts = { updated: 0, imported: 0, deleted: 0 };
  if (complete) {
    const listed = new Set(list.map((g) => g.id));
    for (const t of ours) {
      if (t.gupshup_id && !listed.has(t.gupshup_id)) {
        if (await changeStatus(d, trx, t, 'deleted', null)) counts.deleted++;
        byId.delete(t.gupshup_id);
        taken.delete(nameKey(t.element_name, t.language));
      }
    }
  }
  for (const g of list) {
    const status = statusFromGupshup(g.status);
    const mine = byId.get(g.id);
    if (mine) {
      if (status && (await changeStatus(d, trx, mine, status, reasonOf(status, g)))) counts.updated++;
      continue;
    }
    const waiting = ours.find(
      (t) =>
        !t.gupshup_id &&
        (t.status === 'submitting' || t.status === 'failed') &&
        t.element_name === g.elementName &&
        t.language === g.language,
    );
    if (waiting) {
      // A refused submission never was ours at Gupshup: what Gupshup holds under the name is what
      // WhatsApp sends, so its content replaces ours.
      const content = waiting.status === 'failed' ? contentFrom(g, waiting.template_type) : undefined;
      const change = { status: status ?? 'pending', reason: null };
      const row = await d.repo.adopt(trx, waiting.id, g.id, change, content);
      if (row) await d.trace(trx, templateTrace(row, 'template_submitted', { code: g.status }));
      counts.updated++;
    } else if (status && status !== 'deleted' && !taken.has(nameKey(g.elementName, g.language))) {
      if (await importOne(d, trx, ch, g, status)) counts.imported++;
      taken.add(nameKey(g.elementName, g.language));
    }
  }
  await d.repo.markSynced(trx, ch.channelId);
  return counts;
}

function reasonOf(status: TemplateStatus, g: GupshupTemplate): string | null {
  return status === 'rejected' || status === 'paused' || status === 'disabled' || status === 'failed'
    ? (g.reason ?? null)
    : null;
}

/** A new status (and reason) for one template, traced; false when nothing changed. */
export async function changeStatus(
  d: Pick<TemplateJobDeps, 'repo' | 'trace'>,
  exec: Executor,
  t: TemplateRow,
  status: TemplateStatus,
  reason: string | null,
): Promise<boolean> {
  const row = await d.repo.setStatus(exec, t.id, { status, reason });
  if (!row) return false;
  await d.trace(
    exec,
    templateTrace(row, statusStep(status), {
      level: statusLevel(status),
      code: status,
      detail: reason,
    }),
  );
  return true;
}

/** Gupshup's content as ours: placeholders named by number, examples read back from its sample. */
export function contentFrom(g: GupshupTemplate, type: TemplateType): TemplateContentPatch {
  const header = type === 'TEXT' && g.header ? g.header : null;
  const headerExample =
    header && placeholders(header).length ? (examplesFrom(header, g.sampleHeader)[0] ?? '') : undefined;
  return {
    header,
    headerParam: headerExample !== undefined ? { name: '{{1}}', example: headerExample } : null,
    body: g.body,
    footer: g.footer ?? null,
    buttons: g.buttons,
    params: examplesFrom(g.body, g.sampleBody).map((example, i) => ({ name: `{{${i + 1}}}`, example })),
  };
}

/**
 * A template made in the Gupshup console, as ours: only the kinds we handle (three categories, text
 * or media header); no open line, so it is not offered until an admin assigns it.
 */
async function importOne(
  d: SyncDeps,
  trx: Executor,
  ch: ChannelRef,
  g: GupshupTemplate,
  status: TemplateStatus,
): Promise<boolean> {
  const category = TEMPLATE_CATEGORIES.find((c) => c === g.category);
  const type = TEMPLATE_TYPES.find((c) => c === g.type);
  if (!category || !type) return false;
  const row = await d.repo.insert(trx, {
    portalId: ch.portalId,
    channelId: ch.channelId,
    elementName: g.elementName,
    displayName: g.elementName,
    language: g.language,
    category,
    type,
    ...contentFrom(g, type),
    sampleMediaId: null,
    source: 'console',
    createdBy: null,
    gupshupId: g.id,
    status,
    statusReason: reasonOf(status, g),
  });
  await d.trace(trx, templateTrace(row, 'template_imported', { code: g.status }));
  return true;
}
