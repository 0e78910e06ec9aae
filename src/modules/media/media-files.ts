import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import type { JobRow } from '../../shared/db/schema.js';
import { fetchInto, type Fetched, type MediaFetchError } from './fetcher.js';
import type { MediaMessage, MediaRepository } from './media.repository.js';
import type { AgentNoteQueue, MessageBodyBuilder, OperatorFileSource, TraceWriter } from './ports.js';
import type { MediaSigner } from './signing.js';
import type { MediaStorage } from './storage.js';
import { scheduleSweep } from './sweep.js';

export interface StoredFile {
  mediaId: string;
  name: string;
  mime: string;
  size: number;
}

export interface MediaDeps {
  repo: MediaRepository;
  storage: MediaStorage;
  signer: MediaSigner;
  /** Operator files' links in Bitrix24. */
  operatorFiles: OperatorFileSource;
  /** Gupshup's message body for an outgoing message. */
  messageBody: MessageBodyBuilder;
  trace: TraceWriter;
  agentNote: AgentNoteQueue;
  maxBytes: number;
  fetchTimeoutMs: number;
  allowPrivateHosts: boolean;
  /** Files older than this are deleted by the hourly `media.sweep`. */
  retentionDays: number;
  dispatcher?: Dispatcher | undefined;
  nudge: () => void;
}

/** A stable storage key per message and file: a job that runs twice writes the same file again. */
export function mediaKey(direction: 'in' | 'out', messageId: number, index: number): string {
  const h = createHash('sha256').update(`media:${direction}:${messageId}:${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function messageIdOf(job: JobRow): number | undefined {
  const p = job.payload as { messageId?: unknown };
  return typeof p.messageId === 'number' ? p.messageId : undefined;
}

/**
 * A media job of one direction (inbound.ts, outbound.ts) and the steps both share: the job's
 * message, the download, storing the file.
 */
export abstract class MediaJob {
  protected abstract readonly direction: 'in' | 'out';

  constructor(protected readonly d: MediaDeps) {}

  /** Re-hosts the file of the job's message, or records why it cannot be. */
  protected abstract fetch(m: MediaMessage): Promise<JobOutcome>;

  /** Records for the message that the worker's attempts ran out. */
  protected abstract failed(messageId: number, error: string): Promise<JobOutcome>;

  job(): JobHandler {
    return {
      run: async (job) => {
        const id = messageIdOf(job);
        const m = id === undefined ? undefined : await this.d.repo.findMessage(id, this.direction);
        if (!m) return { kind: 'dead', error: 'message not found' };
        return this.fetch(m);
      },
      onDead: async (job, error) => {
        const id = messageIdOf(job);
        if (id !== undefined) await this.failed(id, error);
      },
    };
  }

  /** Downloads `url` into storage under `key`, within the configured size, time and hosts. */
  protected download(key: string, url: string): Promise<Fetched> {
    return fetchInto(this.d.storage, key, url, {
      maxBytes: this.d.maxBytes,
      timeoutMs: this.d.fetchTimeoutMs,
      allowPrivateHosts: this.d.allowPrivateHosts,
      dispatcher: this.d.dispatcher,
    });
  }

  /** A download that may work later: traced, retried with the queue's backoff. */
  protected async retryLater(m: MediaMessage, err: MediaFetchError): Promise<JobOutcome> {
    await this.d.trace(this.d.repo.db, {
      portalId: m.portal_id,
      channelId: m.channel_id,
      messageId: m.id,
      direction: this.direction,
      step: 'media_retry',
      level: 'WARN',
      code: err.code,
      detail: err.message,
    });
    return { kind: 'retry', error: `media: ${err.message}` };
  }

  /** Records the stored file and the message's content `patch` (and new `type`) together. */
  protected async record(
    m: MediaMessage,
    file: StoredFile,
    patch: Record<string, unknown>,
    type: string | null,
  ): Promise<void> {
    await this.d.repo.inTransaction(async (trx) => {
      await this.d.repo.attachFile(trx, m, this.direction, file, { content: patch, type });
      await this.d.trace(trx, {
        portalId: m.portal_id,
        channelId: m.channel_id,
        messageId: m.id,
        direction: this.direction,
        step: 'media_stored',
        detail: `${file.mime}, ${file.size} bytes`,
      });
      // Storing a file makes sure a sweep runs within the hour (one job per hour, whoever stores first).
      await scheduleSweep(trx, 0);
    });
  }
}
