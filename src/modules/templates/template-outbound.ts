import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import type { JobRow } from '../../shared/db/schema.js';
import { writeTrace } from '../trace/trace.service.js';
import type { CrmCards, HeaderBuilder, HeaderLinks, SendOrigin } from './send-ports.js';
import { headerMediaIssue, headerRule, normalisePhone } from './template-send-rules.js';
import type { TemplateSendRepository } from './template-send.repository.js';

/**
 * A template message in the `outbound.send` job (messaging/outbound/outbound.service.ts hands every
 * message of type 'template' here): what Gupshup's template send gets, read again at send time, so
 * a template paused or switched off since it was queued is not sent, with a reason the agents read.
 * And `template.check`, which runs before the send of a message sent from a CRM card: the number
 * must be one of the card's (read from Bitrix24 in the job, not in the request).
 */

/** What `sendTemplate` gets besides the channel and the number. */
export interface TemplatePayload {
  template: { id: string; params: string[] };
  message?: Record<string, unknown>;
}

/** A template message that must not go, and why (a code of code-texts.ts / send-texts.ts). */
export interface TemplateRefusal {
  refuse: { code: string; detail: string };
}

interface StoredContent {
  template?: { id?: string };
  params?: unknown;
  header?: { mediaId: string; name: string; mime: string; size: number };
  media?: { mediaId: string; name: string; mime: string; size: number };
  file?: unknown;
  origin?: SendOrigin;
  phoneChecked?: boolean;
}

export interface TemplateOutboundDeps {
  repo: TemplateSendRepository;
  links: HeaderLinks;
  header: HeaderBuilder;
  cards: CrmCards;
  nudge: () => void;
}

/** A template status that stops a send, as the code the agents and the API see. */
const STATUS_CODE: Record<string, string> = {
  paused: 'template_paused',
  disabled: 'template_disabled',
  rejected: 'template_rejected',
  deleted: 'template_deleted',
};

export class TemplateOutbound {
  constructor(private readonly d: TemplateOutboundDeps) {}

  /** The send of one template message, or why it must not go. Throws while its header is not ready. */
  async compose(m: {
    id: number;
    portal_id: number;
    content: unknown;
  }): Promise<TemplatePayload | TemplateRefusal> {
    const c = (m.content ?? {}) as StoredContent;
    const t = c.template?.id ? await this.d.repo.template(m.portal_id, c.template.id) : undefined;
    if (!t) return refusal('template_deleted', 'the template no longer exists');
    if (t.status !== 'approved' || !t.gupshup_id) {
      return refusal(
        STATUS_CODE[t.status] ?? 'template_not_approved',
        `template status ${t.status}${t.status_reason ? `: ${t.status_reason}` : ''}`,
      );
    }
    if (!t.active) return refusal('template_inactive', 'the template was switched off');
    if (c.origin?.kind === 'crm' && !c.phoneChecked) {
      return refusal('phone_not_on_card', 'the number was not confirmed on the CRM card');
    }
    const params = Array.isArray(c.params) ? c.params.map(String) : [];
    const payload: TemplatePayload = { template: { id: t.gupshup_id, params } };
    const rule = headerRule(t.template_type);
    if (!rule) return payload;
    const file = c.header ?? c.media;
    // outbound.media runs first (same chat, queued before): no media yet means it has not finished.
    if (!file && c.file) throw new Error('media_not_ready: the header file is not re-hosted yet');
    if (!file) return refusal('header_media_missing', 'no header file');
    const bad = headerMediaIssue(rule, file);
    if (bad) {
      return refusal('header_media_invalid', `${file.mime}, ${file.size} bytes: not a ${rule.kind} header`);
    }
    const url = this.d.links.url(file.mediaId);
    payload.message = this.d.header({ kind: rule.kind, url, filename: file.name });
    return payload;
  }

  /** template.check: the number of a message sent from a CRM card is one of the card's phones. */
  checkJob(): JobHandler {
    return {
      run: (job) => this.#check(job),
      onDead: async (job, error) => {
        const id = (job.payload as { messageId?: number }).messageId;
        if (typeof id === 'number') await this.#fail(id, job.portal_id, 'crm_check_failed', error);
      },
    };
  }

  async #check(job: JobRow): Promise<JobOutcome> {
    const id = (job.payload as { messageId?: unknown }).messageId;
    const m = typeof id === 'number' ? await this.d.repo.followUp(id) : undefined;
    if (!m) return { kind: 'dead', error: 'message not found' };
    if (m.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
    const c = (m.content ?? {}) as StoredContent;
    if (m.status !== 'queued' || c.phoneChecked || c.origin?.kind !== 'crm') return { kind: 'done' };
    const phones = await this.d.cards.phones(m.portal_id, c.origin.entityType, c.origin.entityId);
    const on = phones.some((p) => normalisePhone(p.value) === m.customer_phone);
    const at = { portalId: m.portal_id, channelId: m.channel_id, messageId: m.id, direction: 'out' as const };
    if (!on) {
      await this.#fail(
        m.id,
        m.portal_id,
        'phone_not_on_card',
        `not a phone of ${c.origin.entityType} ${c.origin.entityId}`,
      );
      return { kind: 'done' };
    }
    await this.d.repo.mark(m.id, { phoneChecked: true });
    await writeTrace(this.d.repo.db, {
      ...at,
      step: 'crm_phone_checked',
      detail: `${c.origin.entityType} ${c.origin.entityId}`,
    });
    return { kind: 'done' };
  }

  async #fail(id: number, portalId: number | null, code: string, detail: string): Promise<void> {
    if (!(await this.d.repo.failQueued(id, code, detail)) || portalId === null) return;
    const m = await this.d.repo.followUp(id);
    await writeTrace(this.d.repo.db, {
      portalId,
      channelId: m?.channel_id ?? null,
      messageId: id,
      direction: 'out',
      step: 'failed',
      level: 'ERROR',
      code,
      detail,
    });
    this.d.nudge();
  }
}

function refusal(code: string, detail: string): TemplateRefusal {
  return { refuse: { code, detail } };
}
