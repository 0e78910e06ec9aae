import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { Log as Logger } from '../../shared/logger.js';
import { randomToken, safeEqual, type SecretBox } from '../../shared/crypto.js';
import type { ChannelStatus, DB } from '../../shared/db/schema.js';
import {
  AppError,
  ConflictError,
  isRefusedAddress,
  NOT_PUBLIC_HOST,
  NotFoundError,
  ProviderError,
  ValidationError,
} from '../../shared/errors.js';
import { maskPhone } from '../../shared/logger.js';
import { politely } from '../../integrations/bitrix24/rate-retry.js';
import { cancelChannelJobs } from '../../jobs/jobs.repository.js';
import { writeTrace } from '../trace/trace.service.js';
import { isUniqueViolation, type ChannelPublic, type ChannelsRepository } from './channels.repository.js';
import type { ActivateInput, CreateChannelInput } from './channels.schemas.js';
import type { ConnectorLines } from './ports.js';
import type { ChannelStatusReason } from './status-reasons.js';

/**
 * Channels (C3): one WhatsApp number (Gupshup app + source number + API key) bound to one open line.
 * Pending → Active ⇄ Inactive; Interrupted when upstream refuses; deleted keeps history, drops the key.
 * Each channel has its own callback URL whose last segment is an HMAC of (id, nonce): nothing to store,
 * nothing to leak from the database, and a new nonce rotates it.
 */

export interface ChannelView {
  id: string;
  name: string;
  status: ChannelStatus;
  statusReason: string | null;
  gupshupAppName: string;
  gupshupAppId: string | null;
  sourceNumber: string;
  lineId: number | null;
  /** Holds the channel's webhook secret: for portal admins only (see `Reader`). */
  callbackUrl?: string;
  lastWebhookAt: string | null;
  createdAt: string;
}

/**
 * Who reads channels. Portal admins, and bearer tokens (only admins create them), see the callback
 * URL; users who read through a chat role (quality control, sales, boss) do not: with its secret
 * anyone could post messages into the portal as the channel's customers.
 */
export interface Reader {
  admin: boolean;
}
/** Admin-only actions (create, activate, deactivate) answer an admin. */
const ADMIN: Reader = { admin: true };

export interface ChannelSecrets {
  id: string;
  portalId: number;
  appName: string;
  /** The Gupshup App ID (template management needs it); null when the channel was saved without. */
  appId: string | null;
  sourceNumber: string;
  apiKey: string;
  lineId: number | null;
  status: ChannelStatus;
}

/** How long a channel's callback identity is remembered (deletes elsewhere show within this). */
const CALLBACK_CACHE_MS = 5_000;

type CallbackIdentity = NonNullable<Awaited<ReturnType<ChannelsRepository['callbackIdentity']>>>;

export class ChannelsService {
  readonly #callbackCache = new Map<string, { row: CallbackIdentity; until: number }>();
  readonly #changeListeners: Array<(portalId: number) => void> = [];

  constructor(
    private readonly db: Kysely<DB>,
    private readonly repo: ChannelsRepository,
    private readonly box: SecretBox,
    private readonly connector: ConnectorLines,
    private readonly publicUrl: string,
  ) {}

  /** Forgets cached callback identities (this instance changed a channel or a portal). */
  forgetCallbacks(): void {
    this.#callbackCache.clear();
  }

  /** Tells what is built on a portal's channels (the health strip) that they are changing. */
  onChange(listener: (portalId: number) => void): void {
    this.#changeListeners.push(listener);
  }

  #changed(portalId: number): void {
    for (const l of this.#changeListeners) l(portalId);
  }

  callbackSecret(id: string, nonce: string): string {
    return this.box.mac(`gupshup-callback:${id}:${nonce}`).slice(0, 32);
  }

  callbackUrl(c: { id: string; callback_nonce: string }): string {
    return `${this.publicUrl}/webhooks/gupshup/${c.id}/${this.callbackSecret(c.id, c.callback_nonce)}`;
  }

  view(c: ChannelPublic, reader: Reader): ChannelView {
    return {
      id: c.id,
      name: c.name,
      status: c.status,
      statusReason: c.status_reason,
      gupshupAppName: c.gupshup_app_name,
      gupshupAppId: c.gupshup_app_id,
      sourceNumber: c.source_number,
      lineId: c.line_id,
      ...(reader.admin ? { callbackUrl: this.callbackUrl(c) } : {}),
      lastWebhookAt: c.last_webhook_at?.toISOString() ?? null,
      createdAt: c.created_at.toISOString(),
    };
  }

  async create(portalId: number, i: CreateChannelInput): Promise<ChannelView> {
    if (i.lineId) await this.requireLine(portalId, i.lineId);
    try {
      const row = await this.repo.insert({
        portalId,
        name: i.name,
        gupshupAppName: i.gupshupAppName,
        gupshupAppId: i.gupshupAppId ?? null,
        sourceNumber: i.sourceNumber,
        apiKeyEnc: this.box.encrypt(i.apiKey),
        callbackNonce: randomToken(9),
        lineId: i.lineId ?? null,
      });
      await writeTrace(this.db, {
        portalId,
        channelId: row.id,
        step: 'channel_created',
        detail: `number ${maskPhone(i.sourceNumber)}`,
      });
      return this.view(row, ADMIN);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError('Another channel of this portal already uses this number or this open line');
      }
      throw err;
    }
  }

  async list(portalId: number, reader: Reader): Promise<ChannelView[]> {
    const rows = await this.repo.list(portalId);
    return rows.map((r) => this.view(r, reader));
  }

  async get(portalId: number, id: string, reader: Reader): Promise<ChannelView> {
    return this.view(await this.#find(portalId, id), reader);
  }

  async #find(portalId: number, id: string): Promise<ChannelPublic> {
    if (!z.uuid().safeParse(id).success) throw new NotFoundError('Channel not found');
    const row = await this.repo.find(portalId, id);
    if (!row) throw new NotFoundError('Channel not found');
    return row;
  }

  /** Connects the channel to an open line: `imconnector.activate` then `connector.data.set`. */
  async activate(portalId: number, id: string, input: ActivateInput, log: Logger): Promise<ChannelView> {
    this.#changed(portalId);
    const c = await this.#find(portalId, id);
    const line = input?.lineId ?? c.line_id;
    if (!line) throw new ValidationError('lineId: the open line to connect is required');
    if (await this.repo.lineTaken(portalId, line, id)) {
      throw new ConflictError(`Open line ${line} is already served by another channel`);
    }
    await this.requireLine(portalId, line);
    await upstream(async () => {
      if (c.status === 'active' && c.line_id && c.line_id !== line) {
        await this.connector.deactivateLine(portalId, c.line_id);
      }
      await this.connector.activateLine(portalId, line, {
        id: c.id,
        name: `WhatsApp ${c.name}`,
        url: `https://wa.me/${c.source_number}`,
      });
    });
    const row = await this.repo.setState(portalId, id, {
      status: 'active',
      line_id: line,
      status_reason: null,
    });
    await writeTrace(this.db, { portalId, channelId: id, step: 'channel_activated', detail: `line ${line}` });
    log.info({ channelId: id, line }, 'Channel activated.');
    return this.view(row, ADMIN);
  }

  /** A line id from a caller must be one of the portal's open lines (a clear 400, nothing sent). */
  async requireLine(portalId: number, line: number): Promise<void> {
    let found = false;
    await upstream(async () => {
      found = await politely(() => this.connector.hasLine(portalId, line));
    });
    if (!found) throw new ValidationError(`lineId: this portal has no open line ${line}`);
  }

  /** Switches the channel's connector off on its line (when it is on one). */
  async #leaveLine(portalId: number, c: ChannelPublic): Promise<void> {
    if (c.line_id && (c.status === 'active' || c.status === 'interrupted')) {
      const line = c.line_id;
      await upstream(() => this.connector.deactivateLine(portalId, line));
    }
  }

  async deactivate(portalId: number, id: string, log: Logger): Promise<ChannelView> {
    this.#changed(portalId);
    await this.#leaveLine(portalId, await this.#find(portalId, id));
    const row = await this.repo.setState(portalId, id, {
      status: 'inactive',
      line_id: null,
      status_reason: 'switched_off',
    });
    await writeTrace(this.db, { portalId, channelId: id, step: 'channel_deactivated', level: 'WARN' });
    log.info({ channelId: id }, 'Channel deactivated.');
    return this.view(row, ADMIN);
  }

  async remove(portalId: number, id: string, log: Logger): Promise<void> {
    this.#changed(portalId);
    await this.#leaveLine(portalId, await this.#find(portalId, id));
    await this.repo.transaction(async (trx) => {
      await this.repo.markDeleted(trx, portalId, id);
      await cancelChannelJobs(trx, portalId, id, 'channel deleted');
      await writeTrace(trx, { portalId, channelId: id, step: 'channel_deleted', level: 'WARN' });
    });
    this.forgetCallbacks();
    log.info({ channelId: id }, 'Channel deleted.');
  }

  /** The webhook's check: the channel exists, is not deleted, and the secret in the URL is its own. */
  async authenticateCallback(
    id: string,
    secret: string,
  ): Promise<{ id: string; portalId: number; appName: string; status: ChannelStatus }> {
    if (!z.uuid().safeParse(id).success) throw new NotFoundError('Unknown channel');
    // Webhook bursts ask for the same channel thousands of times a second: a few seconds of memory.
    const cached = this.#callbackCache.get(id);
    let row = cached && cached.until > Date.now() ? cached.row : undefined;
    if (!row) {
      row = await this.repo.callbackIdentity(id);
      if (this.#callbackCache.size > 10_000) this.#callbackCache.clear();
      if (row) this.#callbackCache.set(id, { row, until: Date.now() + CALLBACK_CACHE_MS });
    }
    if (!row || row.status === 'deleted' || row.portal_status === 'uninstalled') {
      throw new NotFoundError('Unknown channel');
    }
    if (!safeEqual(this.callbackSecret(row.id, row.callback_nonce), secret)) {
      throw new AppError('forbidden', 'Wrong callback secret', 403);
    }
    return { id: row.id, portalId: row.portal_id, appName: row.gupshup_app_name, status: row.status };
  }

  /** The secrets a worker needs to send; undefined when the channel is gone. */
  async secrets(channelId: string): Promise<ChannelSecrets | undefined> {
    const row = await this.repo.sendingRow(channelId);
    if (!row?.api_key_enc) return undefined;
    return {
      id: row.id,
      portalId: row.portal_id,
      appName: row.gupshup_app_name,
      appId: row.gupshup_app_id,
      sourceNumber: row.source_number,
      apiKey: this.box.decrypt(row.api_key_enc),
      lineId: row.line_id,
      status: row.status,
    };
  }

  /**
   * Upstream refuses the channel (API key rejected, wallet empty): Interrupted, visible in the API and
   * the trace. Sending is still tried, and the first send Gupshup accepts brings it back (`recover`).
   */
  async interrupt(
    channelId: string,
    reason: ChannelStatusReason,
    exec: Kysely<DB> | Transaction<DB> = this.db,
  ): Promise<void> {
    const portalId = await this.repo.interrupt(exec, channelId, reason);
    if (portalId !== undefined) {
      await writeTrace(exec, {
        portalId,
        channelId,
        step: 'channel_interrupted',
        level: 'ERROR',
        code: reason,
      });
    }
  }

  async recover(channelId: string): Promise<void> {
    const portalId = await this.repo.recover(channelId);
    if (portalId !== undefined) await writeTrace(this.db, { portalId, channelId, step: 'channel_recovered' });
  }

  /** Bitrix24 removed the line or switched our connector off on it: the channel stops serving it. */
  async lineGone(portalId: number, line: number, reason: ChannelStatusReason): Promise<void> {
    const ids = await this.repo.releaseLine(portalId, line, reason);
    await writeTrace(
      this.db,
      ...ids.map((channelId) => ({
        portalId,
        channelId,
        step: 'channel_deactivated' as const,
        level: 'WARN' as const,
        code: reason,
        detail: `line ${line}`,
      })),
    );
  }
}

/** Upstream failures during an admin action: a clear 503/502 with what to do, nothing saved. */
export async function upstream(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (isRefusedAddress(err)) throw new ValidationError(NOT_PUBLIC_HOST);
    if (err instanceof ProviderError) {
      if (err.retryable) {
        throw new AppError(
          'upstream_unavailable',
          `Bitrix24 is not answering right now (${err.providerCode ?? 'error'}); try again in a minute`,
          503,
        );
      }
      throw new AppError(
        'upstream_rejected',
        `Bitrix24 refused the change: ${err.providerCode ?? err.message}`,
        502,
      );
    }
    throw err;
  }
}
