import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import type { JobRow } from '../../shared/db/schema.js';
import { toLang, type Lang } from '../../shared/i18n.js';
import { RECORD_MARK } from '../../shared/texts.js';
import { writeTrace } from '../trace/trace.service.js';
import { issueText, sendText } from './send-texts.js';
import type { ChatRecords, SendOrigin, Workflows } from './send-ports.js';
import type { TemplateSendRepository } from './template-send.repository.js';

/**
 * What follows a template send, each its own job so that nothing blocks the send:
 * - `template.record`: once Gupshup took the message, it is shown in the open-line chat, as the
 *   agent's message or as a line saying who sent it (agent, API, automation). A conversation without
 *   a chat yet (a first message from a CRM card, the API or a robot) gets it when the customer's
 *   answer opens one (`queuePendingRecords`, called by the inbound delivery).
 * - `template.robot`: the waiting workflow hears whether the template went (`bizproc.event.send`):
 *   sent once Gupshup took it and its first event (enqueued or failed) came, or a minute passed;
 *   failed with the reason otherwise.
 * Both wait for the send's outcome by looking again a few seconds later; waiting spends no attempt.
 */

/** How long an accepted send waits for Gupshup's first event before the workflow hears "sent". */
const FIRST_EVENT_GRACE_MS = 60_000;
const UNSETTLED = new Set(['queued', 'sending']);
const FAILED = new Set(['failed', 'dead', 'skipped']);

type Loaded = NonNullable<Awaited<ReturnType<TemplateSendRepository['followUp']>>>;
interface Content {
  text?: string;
  template?: { displayName?: string };
  origin?: SendOrigin;
  recordedAt?: string;
  robotAnsweredAt?: string;
}

export interface FollowUpDeps {
  repo: TemplateSendRepository;
  records: ChatRecords;
  workflows: Workflows;
}

const later = (why: string, ms = 3_000): JobOutcome => ({
  kind: 'retry',
  error: why,
  delayMs: ms,
  countAttempt: false,
});

export class TemplateFollowUps {
  constructor(private readonly d: FollowUpDeps) {}

  recordJob(): JobHandler {
    return { run: (job) => this.#record(job) };
  }

  robotJob(): JobHandler {
    return {
      run: (job) => this.#robot(job),
      onDead: async (job, error) => {
        if (job.portal_id === null) return;
        const id = (job.payload as { messageId?: unknown }).messageId;
        await writeTrace(this.d.repo.db, {
          portalId: job.portal_id,
          messageId: typeof id === 'number' ? id : null,
          direction: 'out',
          step: 'robot_answer_failed',
          level: 'ERROR',
          detail: error,
        });
      },
    };
  }

  async #load(job: JobRow): Promise<Loaded | JobOutcome> {
    const id = (job.payload as { messageId?: unknown }).messageId;
    const m = typeof id === 'number' ? await this.d.repo.followUp(id) : undefined;
    if (!m) return { kind: 'dead', error: 'message not found' };
    if (m.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
    return m;
  }

  async #record(job: JobRow): Promise<JobOutcome> {
    const m = await this.#load(job);
    if ('kind' in m) return m;
    const c = (m.content ?? {}) as Content;
    if (c.recordedAt || FAILED.has(m.status)) return { kind: 'done' };
    if (UNSETTLED.has(m.status)) return later('waiting for the send', waitFor(ageMs(m)));
    // No chat yet: the customer's answer will open one, and the record is queued again then.
    if (!m.bitrix_chat_id) return { kind: 'done' };
    const lang = toLang(m.lang);
    const who = m.sent_by
      ? ((await this.d.records.userName(m.portal_id, m.sent_by)) ?? `#${m.sent_by}`)
      : null;
    const name = c.template?.displayName ?? '';
    const by =
      who !== null
        ? sendText(lang, 'record.by_user', { name, who })
        : c.origin?.kind === 'campaign'
          ? sendText(lang, 'record.by_campaign', { name, campaign: c.origin.campaignName })
          : sendText(lang, c.origin?.kind === 'robot' ? 'record.by_robot' : 'record.by_api', { name });
    const body = c.text ?? '';
    const crm = m.crm_entity && m.crm_entity_id ? { entity: m.crm_entity, id: m.crm_entity_id } : null;
    const via = await this.d.records.post({
      portalId: m.portal_id,
      chatId: m.bitrix_chat_id,
      text: `${RECORD_MARK} ${by}\n${body}`,
      agentText: `${RECORD_MARK} ${sendText(lang, 'record.agent', { name })}\n${body}`,
      agent: m.sent_by && crm ? { userId: m.sent_by, crm } : null,
    });
    await this.d.repo.mark(m.id, { recordedAt: new Date().toISOString(), recordedAs: via });
    await writeTrace(this.d.repo.db, {
      portalId: m.portal_id,
      channelId: m.channel_id,
      messageId: m.id,
      direction: 'out',
      step: 'template_recorded',
      detail: via === 'agent' ? 'as the agent’s message' : 'as a system line',
    });
    return { kind: 'done' };
  }

  async #robot(job: JobRow): Promise<JobOutcome> {
    const p = job.payload as { messageId?: unknown; eventToken?: unknown; reason?: unknown; lang?: unknown };
    if (job.portal_id === null) return { kind: 'dead', error: 'robot answer without portal' };
    if (typeof p.eventToken === 'string') {
      // Refused before anything was stored: the reason the handler gave.
      const reason = typeof p.reason === 'string' ? p.reason : 'refused';
      const lang = toLang(typeof p.lang === 'string' ? p.lang : undefined);
      await this.#answer(
        job.portal_id,
        p.eventToken,
        null,
        { sent: false, messageId: '', error: reason },
        lang,
      );
      return { kind: 'done' };
    }
    const m = await this.#load(job);
    if ('kind' in m) return m;
    const c = (m.content ?? {}) as Content;
    if (c.robotAnsweredAt || c.origin?.kind !== 'robot') return { kind: 'done' };
    const lang = toLang(m.lang);
    const result = outcome(m, lang);
    if (!result) return later('waiting for the send’s outcome', waitFor(ageMs(m)));
    await this.#answer(m.portal_id, c.origin.eventToken, m, result, lang);
    await this.d.repo.mark(m.id, { robotAnsweredAt: new Date().toISOString() });
    return { kind: 'done' };
  }

  async #answer(
    portalId: number,
    eventToken: string,
    m: Loaded | null,
    r: { sent: boolean; messageId: string; error: string },
    lang: Lang,
  ): Promise<void> {
    const log = r.sent ? sendText(lang, 'robot.sent') : sendText(lang, 'robot.failed', { reason: r.error });
    await this.d.workflows.answer(portalId, eventToken, r, log);
    await writeTrace(this.d.repo.db, {
      portalId,
      channelId: m?.channel_id ?? null,
      messageId: m?.id ?? null,
      direction: 'out',
      step: 'robot_answered',
      level: r.sent ? 'INFO' : 'WARN',
      detail: r.sent ? 'sent' : `not sent: ${r.error}`.slice(0, 500),
    });
  }
}

/** Look again soon while the send is young, then less and less often. */
function waitFor(age: number): number {
  return age < 10_000 ? 1_000 : age < 60_000 ? 3_000 : 30_000;
}

function ageMs(m: Loaded): number {
  return Date.now() - m.created_at.getTime();
}

/** The workflow's answer once the send has an outcome; undefined while it has none. */
function outcome(m: Loaded, lang: Lang): { sent: boolean; messageId: string; error: string } | undefined {
  const messageId = String(m.id);
  if (FAILED.has(m.status)) {
    const code = m.error_code ?? 'failed';
    const known = issueText(lang, { code });
    const reason = known !== code ? known : `${code}${m.error_detail ? `: ${m.error_detail}` : ''}`;
    return { sent: false, messageId, error: reason.slice(0, 500) };
  }
  if (UNSETTLED.has(m.status)) return undefined;
  if (m.status === 'submitted' && m.sent_at && Date.now() - m.sent_at.getTime() < FIRST_EVENT_GRACE_MS) {
    return undefined;
  }
  return { sent: true, messageId, error: '' };
}
