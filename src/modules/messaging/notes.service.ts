import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import type { JobRow } from '../../shared/db/schema.js';
import { toLang } from '../../shared/i18n.js';
import { failureNote, isWindowClosed } from '../../shared/texts.js';
import { messageIdOf } from './job-support.js';
import type { MessagesRepository } from './messages.repository.js';
import type { OpenLineConnector, TemplateOffer } from './ports.js';

export interface NotesDeps {
  messages: MessagesRepository;
  connector: Pick<OpenLineConnector, 'postNote'>;
  /** The line's templates, offered when the 24-hour window closed (templates module). */
  offer?: TemplateOffer | undefined;
}

/**
 * chat.notify: a failed operator message gets a system note in its open-line chat, in the portal's
 * language, saying what happened and what to do (`im.message.add` with SYSTEM=Y). Queued by
 * `queueAgentNote` (messages.repository.ts) from the relay, the media jobs and the edits.
 */
export class AgentNotesService {
  constructor(private readonly d: NotesDeps) {}

  job(): JobHandler {
    return { run: (job) => this.#notify(job) };
  }

  async #notify(job: JobRow): Promise<JobOutcome> {
    const id = messageIdOf(job);
    const rawCode = (job.payload as { code?: unknown }).code;
    const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? String(rawCode) : 'failed';
    const [m] = id === undefined ? [] : await this.d.messages.load([id]);
    if (!m) return { kind: 'dead', error: 'message not found' };
    // A template sent from a CRM card, the API or a robot to a customer without a chat yet.
    if (!m.bitrix_chat_id) return { kind: 'cancel', reason: 'no Bitrix24 chat to write into' };
    if (m.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
    const lang = toLang(m.portal_lang);
    let note = failureNote(lang, code);
    if (this.d.offer && m.type !== 'template' && isWindowClosed(code)) {
      const offer = await this.d.offer(m, lang);
      if (offer) note = `${note}\n${offer}`;
    }
    await this.d.connector.postNote(m.portal_id, m.bitrix_chat_id, note);
    await this.d.messages.trace({
      portalId: m.portal_id,
      channelId: m.channel_id,
      messageId: m.id,
      direction: 'out',
      step: 'agent_notified',
      code,
    });
    return { kind: 'done' };
  }
}
