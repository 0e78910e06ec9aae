import { outcomeOf, type JobHandler, type JobOutcome } from '../../../jobs/worker.js';
import type { JobRow } from '../../../shared/db/schema.js';
import type { Log as Logger } from '../../../shared/logger.js';
import { messageIdOf } from '../job-support.js';
import type { LoadedMessage, MessagesRepository } from '../messages.repository.js';
import type { DeliveryAck, OpenLineConnector } from '../ports.js';
import type { OutboundRepository } from './outbound.repository.js';

export interface AckDeps {
  messages: MessagesRepository;
  outbound: OutboundRepository;
  connector: Pick<OpenLineConnector, 'ackDelivery'>;
  /** Most acknowledgements per `imconnector.send.status.delivery` call. */
  batchSize: number;
}

interface AckGroup {
  portalId: number;
  line: number;
  items: Array<[number, LoadedMessage]>;
}

/**
 * outbound.ack: tells Bitrix24 the operator's messages left (imconnector.send.status.delivery), many
 * per call: each ack is one element of MESSAGES, so a burst of replies costs a few calls, not one each.
 */
export class AckService {
  constructor(private readonly d: AckDeps) {}

  job(): JobHandler {
    return {
      run: async (job, log) => (await this.#ack([job], log))[0] ?? { kind: 'retry', error: 'no outcome' },
      batch: { size: this.d.batchSize, run: (jobs, log) => this.#ack(jobs, log) },
      onDead: async (job, error) => {
        const id = messageIdOf(job);
        if (id === undefined || job.portal_id === null) return;
        await this.d.messages.trace({
          portalId: job.portal_id,
          messageId: id,
          direction: 'out',
          step: 'ack_failed',
          level: 'ERROR',
          detail: error,
        });
      },
    };
  }

  async #ack(jobs: JobRow[], log: Logger): Promise<JobOutcome[]> {
    const ids = jobs.map(messageIdOf);
    const rows = new Map(
      (await this.d.messages.load(ids.filter((i) => i !== undefined))).map((m) => [m.id, m]),
    );
    const outcomes: JobOutcome[] = [];
    const groups = new Map<string, AckGroup>();
    for (const [i, id] of ids.entries()) {
      const m = id === undefined ? undefined : rows.get(id);
      const settled = settledAck(m);
      if (settled || !m?.channel_line) {
        outcomes[i] = settled ?? { kind: 'cancel', reason: 'channel has no line any more' };
        continue;
      }
      const key = `${m.portal_id}|${m.channel_line}`;
      const g = groups.get(key) ?? { portalId: m.portal_id, line: m.channel_line, items: [] };
      g.items.push([i, m]);
      groups.set(key, g);
    }
    for (const g of groups.values()) await this.#ackGroup(g, outcomes, log);
    return jobs.map((_, i) => outcomes[i] ?? { kind: 'retry', error: 'not handled in this batch' });
  }

  async #ackGroup(g: AckGroup, outcomes: JobOutcome[], log: Logger): Promise<void> {
    try {
      // Parts of one operator message share its Bitrix24 id: one element each, with every part's id.
      const byImMessage = new Map<number, LoadedMessage>();
      for (const [, m] of g.items) byImMessage.set(m.bitrix_message_id ?? 0, m);
      const elements: DeliveryAck[] = [];
      for (const m of byImMessage.values()) {
        elements.push({
          imChatId: m.bitrix_chat_id ?? 0,
          imMessageId: m.bitrix_message_id ?? 0,
          externalIds: await this.d.outbound.sentPartIds(m.portal_id, m.bitrix_message_id ?? 0),
          externalChatId: m.customer_phone,
          date: Math.floor(Date.now() / 1000),
        });
      }
      await this.d.connector.ackDelivery(g.portalId, g.line, elements);
    } catch (err) {
      for (const [i] of g.items) outcomes[i] = outcomeOf(err);
      return;
    }
    // Acknowledged: done whatever happens to the trace write (a repeat ack would be a wasted call).
    for (const [i] of g.items) outcomes[i] = { kind: 'done' };
    await this.d.messages
      .trace(
        ...g.items.map(([, m]) => ({
          portalId: m.portal_id,
          channelId: m.channel_id,
          messageId: m.id,
          direction: 'out' as const,
          step: 'acknowledged_in_bitrix' as const,
        })),
      )
      .catch((err: unknown) => log.warn({ err }, 'Could not trace the acknowledgement.'));
    log.debug({ count: g.items.length }, 'Operator messages acknowledged in Bitrix24.');
  }
}

/** Why an ack needs no call: nothing to acknowledge, or the portal is gone. */
function settledAck(m: LoadedMessage | undefined): JobOutcome | undefined {
  if (!m?.gupshup_message_id || m.bitrix_chat_id === null || m.bitrix_message_id === null) {
    return { kind: 'dead', error: 'nothing to acknowledge' };
  }
  if (m.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
  return undefined;
}
