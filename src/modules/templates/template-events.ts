import type { TemplateEvent } from '../../integrations/gupshup/gupshup.webhook.js';
import type { TemplateStatus } from '../../shared/db/schema.js';
import type { TraceWriter } from './ports.js';
import { TEMPLATE_CATEGORIES } from './template-model.js';
import { templateTrace } from './template-jobs.js';
import { changeStatus, enqueueSync } from './template-sync.js';
import { statusFromGupshup } from './template-view.js';
import type { TemplatesRepository } from './templates.repository.js';

/**
 * Gupshup's template events (reference §3.7), from the channel's webhook: a database change only, in
 * one transaction, answered after it commits. A template we do not know (made in the console) is
 * left to a sync, which is queued at most once a minute per channel.
 */
export async function acceptTemplateEvent(
  d: { repo: TemplatesRepository; trace: TraceWriter },
  channel: { id: string; portalId: number },
  e: TemplateEvent,
): Promise<'applied' | 'unknown_template' | 'ignored'> {
  return d.repo.inTransaction(async (trx) => {
    const rows = await d.repo.matching(trx, channel.id, {
      gupshupId: e.templateId,
      elementName: e.elementName,
      language: e.language,
    });
    if (rows.length === 0) {
      const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
      await enqueueSync(trx, channel.portalId, channel.id, `event:${minute}`);
      return 'unknown_template';
    }
    if (e.event === 'category-update') {
      const to = TEMPLATE_CATEGORIES.find((c) => c === e.category?.to?.toUpperCase());
      for (const t of rows) {
        // An alert announces the change (Meta applies it later); the change itself is recorded.
        if (to && !e.category?.alert) await d.repo.setCategory(trx, t.id, to);
        const detail = `${e.category?.from ?? '?'} → ${e.category?.to ?? '?'}${e.category?.alert ? ' (announced)' : ''}`;
        await d.trace(trx, templateTrace(t, 'template_category_changed', { level: 'WARN', detail }));
      }
      return 'applied';
    }
    const status = statusFromGupshup(e.status);
    if (!status) return 'ignored';
    for (const t of rows) await changeStatus(d, trx, t, status, reasonOf(status, e));
    return 'applied';
  });
}

/** Why: the rejection reason, the pause's description; nothing for a good status. */
function reasonOf(status: TemplateStatus, e: TemplateEvent): string | null {
  switch (status) {
    case 'rejected':
    case 'failed':
      return e.reason ?? e.description ?? null;
    case 'paused':
    case 'disabled':
    case 'in_appeal':
      return e.description ?? e.reason ?? null;
    default:
      return null;
  }
}
