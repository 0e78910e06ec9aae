import { sql, type Kysely, type Transaction } from 'kysely';
import type { Log as Logger } from '../../shared/logger.js';
import { z } from 'zod';
import type { Bitrix24Connector } from '../../integrations/bitrix24/bitrix24.connector.js';
import { randomToken, safeEqual, type SecretBox } from '../../shared/crypto.js';
import type { ChannelRow, ChannelStatus, DB } from '../../shared/db/schema.js';
import {
  AppError,
  ConflictError,
  isRefusedAddress,
  NOT_PUBLIC_HOST,
  NotFoundError,
  ProviderError,
  ValidationError,
  describeIssues,
} from '../../shared/errors.js';
import { maskPhone } from '../../shared/logger.js';
import { writeTrace } from '../trace/trace.service.js';
import { lineIdInput } from '../../shared/validate.js';
import { politely } from '../../integrations/bitrix24/rate-retry.js';

/**
 * Channels (C3): one WhatsApp number (Gupshup app + source number + API key) bound to one open line.
 * Pending → Active ⇄ Inactive; Interrupted when upstream refuses; deleted keeps history, drops the key.
 * Each channel has its own callback URL whose last segment is an HMAC of (id, nonce): nothing to store,
 * nothing to leak from the database, and a new nonce rotates it.
 */

const digits = (v: string): string => v.replace(/[\s()+-]/g, '');

export const createChannelInput = z.object({
  name: z.string().trim().min(1).max(100),
  gupshupAppName: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,64}$/, 'letters, digits, - and _ only (the Gupshup app name)'),
  gupshupAppId: z.string().trim().min(1).max(64).optional(),
  sourceNumber: z
    .string()
    .transform(digits)
    .pipe(z.string().regex(/^\d{8,15}$/, 'the business number with country code, digits only')),
  // Sent as the `apikey` header: a space or control character there could only fail every call.
  apiKey: z
    .string()
    .trim()
    .min(8)
    .max(256)
    .regex(/^[\x21-\x7e]+$/, 'the key as Gupshup shows it, without spaces or control characters'),
  lineId: lineIdInput.optional(),
});
export type CreateChannelInput = z.infer<typeof createChannelInput>;

export const activateInput = z.object({ lineId: lineIdInput.optional() });

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

const publicColumns = [
  'id',
  'portal_id',
  'name',
  'status',
  'status_reason',
  'gupshup_app_name',
  'gupshup_app_id',
  'source_number',
  'line_id',
  'callback_nonce',
  'last_webhook_at',
  'created_at',
] as const;
type ChannelPublic = Pick<ChannelRow, (typeof publicColumns)[number]>;

export interface ChannelSecrets {
  id: string;
  portalId: number;
  appName: string;
  sourceNumber: string;
  apiKey: string;
  lineId: number | null;
  status: ChannelStatus;
}

/** How long a channel's callback identity is remembered (deletes elsewhere show within this). */
const CALLBACK_CACHE_MS = 5_000;

interface CallbackIdentity {
  id: string;
  portal_id: number;
  gupshup_app_name: string;
  status: ChannelStatus;
  callback_nonce: string;
  portal_status: 'installing' | 'installed' | 'uninstalled';
}

export class ChannelsService {
  readonly #callbackCache = new Map<string, { row: CallbackIdentity; until: number }>();

  /** Forgets cached callback identities (this instance changed a channel or a portal). */
  forgetCallbacks(): void {
    this.#callbackCache.clear();
  }

  constructor(
    private readonly db: Kysely<DB>,
    private readonly box: SecretBox,
    private readonly connector: Bitrix24Connector,
    private readonly publicUrl: string,
  ) {}

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

  async create(portalId: number, body: unknown): Promise<ChannelView> {
    const parsed = createChannelInput.safeParse(body ?? {});
    if (!parsed.success) throw new ValidationError(describeIssues(parsed.error.issues), parsed.error.issues);
    const i = parsed.data;
    if (i.lineId) await this.requireLine(portalId, i.lineId);
    try {
      const row = await this.db
        .insertInto('channels')
        .values({
          portal_id: portalId,
          name: i.name,
          gupshup_app_name: i.gupshupAppName,
          gupshup_app_id: i.gupshupAppId ?? null,
          source_number: i.sourceNumber,
          api_key_enc: this.box.encrypt(i.apiKey),
          callback_nonce: randomToken(9),
          line_id: i.lineId ?? null,
          status: 'pending',
        })
        .returning(publicColumns)
        .executeTakeFirstOrThrow();
      await writeTrace(this.db, {
        portalId,
        channelId: row.id,
        step: 'channel_created',
        detail: `number ${maskPhone(i.sourceNumber)}`,
      });
      return this.view(row, ADMIN);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError('Another channel of this portal already uses this number or this open line');
      }
      throw err;
    }
  }

  async list(portalId: number, reader: Reader): Promise<ChannelView[]> {
    const rows = await this.db
      .selectFrom('channels')
      .select(publicColumns)
      .where('portal_id', '=', portalId)
      .where('status', '<>', 'deleted')
      .orderBy('created_at')
      .execute();
    return rows.map((r) => this.view(r, reader));
  }

  async get(portalId: number, id: string, reader: Reader): Promise<ChannelView> {
    return this.view(await this.#find(portalId, id), reader);
  }

  async #find(portalId: number, id: string): Promise<ChannelPublic> {
    if (!z.uuid().safeParse(id).success) throw new NotFoundError('Channel not found');
    const row = await this.db
      .selectFrom('channels')
      .select(publicColumns)
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .where('status', '<>', 'deleted')
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Channel not found');
    return row;
  }

  /** Connects the channel to an open line: `imconnector.activate` then `connector.data.set`. */
  async activate(portalId: number, id: string, body: unknown, log: Logger): Promise<ChannelView> {
    const parsed = activateInput.safeParse(body ?? {});
    if (!parsed.success) throw new ValidationError(describeIssues(parsed.error.issues));
    const c = await this.#find(portalId, id);
    const line = parsed.data.lineId ?? c.line_id;
    if (!line) throw new ValidationError('lineId: the open line to connect is required');
    const holder = await this.db
      .selectFrom('channels')
      .select('id')
      .where('portal_id', '=', portalId)
      .where('line_id', '=', line)
      .where('id', '<>', id)
      .where('status', '<>', 'deleted')
      .executeTakeFirst();
    if (holder) throw new ConflictError(`Open line ${line} is already served by another channel`);
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
    const row = await this.#setState(portalId, id, { status: 'active', line_id: line, status_reason: null });
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

  async deactivate(portalId: number, id: string, log: Logger): Promise<ChannelView> {
    const c = await this.#find(portalId, id);
    if (c.line_id && (c.status === 'active' || c.status === 'interrupted')) {
      const line = c.line_id;
      await upstream(() => this.connector.deactivateLine(portalId, line));
    }
    const row = await this.#setState(portalId, id, {
      status: 'inactive',
      line_id: null,
      status_reason: 'switched_off',
    });
    await writeTrace(this.db, { portalId, channelId: id, step: 'channel_deactivated', level: 'WARN' });
    log.info({ channelId: id }, 'Channel deactivated.');
    return this.view(row, ADMIN);
  }

  async remove(portalId: number, id: string, log: Logger): Promise<void> {
    const c = await this.#find(portalId, id);
    if (c.line_id && (c.status === 'active' || c.status === 'interrupted')) {
      const line = c.line_id;
      await upstream(() => this.connector.deactivateLine(portalId, line));
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('channels')
        .set({
          status: 'deleted',
          api_key_enc: null,
          line_id: null,
          deleted_at: sql`now()`,
          updated_at: sql`now()`,
        })
        .where('portal_id', '=', portalId)
        .where('id', '=', id)
        .execute();
      await trx
        .updateTable('jobs')
        .set({ status: 'cancelled', last_error: 'channel deleted', finished_at: sql`now()` })
        .where('portal_id', '=', portalId)
        .where('status', 'in', ['pending', 'running'])
        .where(sql<boolean>`payload->>'channelId' = ${id}`)
        .execute();
      await writeTrace(trx, { portalId, channelId: id, step: 'channel_deleted', level: 'WARN' });
    });
    this.forgetCallbacks();
    log.info({ channelId: id }, 'Channel deleted.');
  }

  async #setState(
    portalId: number,
    id: string,
    s: { status: ChannelStatus; line_id: number | null; status_reason: string | null },
  ): Promise<ChannelPublic> {
    return this.db
      .updateTable('channels')
      .set({ ...s, updated_at: sql`now()` })
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .returning(publicColumns)
      .executeTakeFirstOrThrow();
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
      row = await this.db
        .selectFrom('channels')
        .innerJoin('portals', 'portals.id', 'channels.portal_id')
        .select([
          'channels.id',
          'channels.portal_id',
          'channels.gupshup_app_name',
          'channels.status',
          'channels.callback_nonce',
          'portals.status as portal_status',
        ])
        .where('channels.id', '=', id)
        .executeTakeFirst();
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
    const row = await this.db
      .selectFrom('channels')
      .select(['id', 'portal_id', 'gupshup_app_name', 'source_number', 'api_key_enc', 'line_id', 'status'])
      .where('id', '=', channelId)
      .executeTakeFirst();
    if (!row?.api_key_enc) return undefined;
    return {
      id: row.id,
      portalId: row.portal_id,
      appName: row.gupshup_app_name,
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
    reason: string,
    exec: Kysely<DB> | Transaction<DB> = this.db,
  ): Promise<void> {
    const row = await exec
      .updateTable('channels')
      .set({ status: 'interrupted', status_reason: reason, updated_at: sql`now()` })
      .where('id', '=', channelId)
      .where('status', '=', 'active')
      .returning('portal_id')
      .executeTakeFirst();
    if (row) {
      await writeTrace(exec, {
        portalId: row.portal_id,
        channelId,
        step: 'channel_interrupted',
        level: 'ERROR',
        code: reason,
      });
    }
  }

  async recover(channelId: string): Promise<void> {
    const row = await this.db
      .updateTable('channels')
      .set({ status: 'active', status_reason: null, updated_at: sql`now()` })
      .where('id', '=', channelId)
      .where('status', '=', 'interrupted')
      .returning('portal_id')
      .executeTakeFirst();
    if (row) await writeTrace(this.db, { portalId: row.portal_id, channelId, step: 'channel_recovered' });
  }

  /** Bitrix24 removed the line or switched our connector off on it: the channel stops serving it. */
  async lineGone(portalId: number, line: number, reason: string): Promise<void> {
    const rows = await this.db
      .updateTable('channels')
      .set({ status: 'inactive', line_id: null, status_reason: reason, updated_at: sql`now()` })
      .where('portal_id', '=', portalId)
      .where('line_id', '=', line)
      .where('status', '<>', 'deleted')
      .returning('id')
      .execute();
    await writeTrace(
      this.db,
      ...rows.map((r) => ({
        portalId,
        channelId: r.id,
        step: 'channel_deactivated',
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
