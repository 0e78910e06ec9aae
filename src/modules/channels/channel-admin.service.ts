import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Bitrix24Connector } from '../../integrations/bitrix24/bitrix24.connector.js';
import { politely } from '../../integrations/bitrix24/rate-retry.js';
import { GUPSHUP_SANDBOX_NUMBER, type GupshupAppsClient } from '../../integrations/gupshup/gupshup.apps.js';
import type { SecretBox } from '../../shared/crypto.js';
import type { DB } from '../../shared/db/schema.js';
import { lineIdInput, parseInput } from '../../shared/validate.js';
import {
  AppError,
  ConflictError,
  isRefusedAddress,
  NOT_PUBLIC_HOST,
  NotFoundError,
  ProviderError,
  ValidationError,
} from '../../shared/errors.js';
import {
  createChannelInput,
  type ChannelsService,
  type ChannelView,
  type Reader,
} from './channels.service.js';

/**
 * What the admin pages add to channels (issue 4): connecting an existing Gupshup app with its key
 * checked first, editing, the request-a-number flow with the operator's confirmation, the settings
 * Gupshup gives for an API key, and the per-channel health strip.
 */

const digits = (v: string): string => v.replace(/[\s()+-]/g, '');
const appId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{1,64}$/, 'the App ID from the Gupshup dashboard');
const wabaId = z
  .string()
  .trim()
  .regex(/^\d{5,32}$/, 'digits only');

export const connectInput = createChannelInput.extend({
  gupshupAppId: appId.optional(),
  wabaId: wabaId.optional(),
  companyName: z.string().trim().min(1).max(100).optional(),
});

export const updateInput = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    gupshupAppName: createChannelInput.shape.gupshupAppName.optional(),
    gupshupAppId: appId.optional(),
    sourceNumber: createChannelInput.shape.sourceNumber.optional(),
    apiKey: z
      .string()
      .trim()
      .max(256)
      .optional()
      .transform((v) => (v ? v : undefined))
      .pipe(createChannelInput.shape.apiKey.optional()),
    wabaId: z.union([wabaId, z.literal('')]).optional(),
    companyName: z.unknown().optional(),
  })
  .strict();

export const numberRequestInput = z.object({
  companyName: z.string().trim().min(2).max(100),
  contactName: z.string().trim().min(2).max(100),
  contactEmail: z
    .email()
    .max(200)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  contactPhone: z
    .string()
    .transform(digits)
    .pipe(z.string().regex(/^\d{6,15}$/, 'digits with country code'))
    .optional()
    .or(z.literal('').transform(() => undefined)),
  lineId: lineIdInput.optional(),
});

export const confirmInput = z.object({
  sourceNumber: createChannelInput.shape.sourceNumber,
  gupshupAppName: createChannelInput.shape.gupshupAppName,
  gupshupAppId: appId.optional(),
  apiKey: createChannelInput.shape.apiKey,
  wabaId: wabaId.optional(),
});

export type SubscriptionState = 'paid' | 'trial' | 'expired';

export interface ChannelDetails extends ChannelView {
  companyName: string | null;
  wabaId: string | null;
  paidUntil: string | null;
  subscription: SubscriptionState;
  gupshupCheckedAt: string | null;
  gupshupError: string | null;
}

const TRIAL_DAYS = 14;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
/** An id from a URL that is not a UUID matches nothing (a 404, not a database error). */
const uuidOrNil = (id: string): string => (z.uuid().safeParse(id).success ? id : NIL_UUID);

export interface ChannelHealth {
  channelId: string;
  tokenOk: boolean | null;
  connectorActive: boolean | null;
  lastWebhookAt: string | null;
  gupshupOk: boolean | null;
  gupshupError: string | null;
}

/** How long a portal's health strip is reused (each costs a Bitrix24 and a Gupshup call per channel). */
const HEALTH_MS = 15_000;

export class ChannelAdminService {
  readonly #health = new Map<number, { items: ChannelHealth[]; until: number }>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly box: SecretBox,
    private readonly channels: ChannelsService,
    private readonly gupshup: GupshupAppsClient,
    private readonly connector: Bitrix24Connector,
  ) {}

  /** The key must open the app it claims to belong to, before anything is saved. */
  async #checkKey(gupshupAppId: string, apiKey: string): Promise<void> {
    let r;
    try {
      r = await this.gupshup.checkKey(gupshupAppId, apiKey);
    } catch (err) {
      if (err instanceof ProviderError) {
        throw new AppError(
          'upstream_unavailable',
          'Gupshup is not answering right now; try again in a minute',
          503,
        );
      }
      throw err;
    }
    if (!r.ok) {
      throw new ValidationError(
        r.reason === 'rejected'
          ? 'apiKey: Gupshup rejected this API key for this app'
          : 'gupshupAppId: Gupshup does not know this app',
      );
    }
  }

  /** POST /channels: an existing Gupshup app. With an App ID the key is checked with Gupshup first. */
  async connect(portalId: number, body: unknown): Promise<ChannelView> {
    const i = parseInput(connectInput, body);
    if (i.gupshupAppId) await this.#checkKey(i.gupshupAppId, i.apiKey);
    const view = await this.channels.create(portalId, i);
    this.forget(portalId);
    await this.db
      .updateTable('channels')
      .set({
        company_name: i.companyName ?? null,
        waba_id: i.wabaId ?? null,
        gupshup_checked_at: i.gupshupAppId ? sql`now()` : null,
      })
      .where('portal_id', '=', portalId)
      .where('id', '=', view.id)
      .execute();
    return view;
  }

  async details(portalId: number, reader: Reader): Promise<ChannelDetails[]> {
    const [views, rows] = await Promise.all([
      this.channels.list(portalId, reader),
      this.db
        .selectFrom('channels')
        .select([
          'id',
          'company_name',
          'waba_id',
          'paid_until',
          'created_at',
          'gupshup_checked_at',
          'gupshup_check_error',
        ])
        .where('portal_id', '=', portalId)
        .where('status', '<>', 'deleted')
        .execute(),
    ]);
    const extra = new Map(rows.map((r) => [r.id, r]));
    const now = Date.now();
    return views.map((v) => {
      const r = extra.get(v.id);
      const paid = r?.paid_until ?? null;
      const trialEnd = (r?.created_at.getTime() ?? 0) + TRIAL_DAYS * 86_400_000 + 60_000;
      const subscription: SubscriptionState =
        !paid || paid.getTime() < now ? 'expired' : paid.getTime() <= trialEnd ? 'trial' : 'paid';
      return {
        ...v,
        companyName: r?.company_name ?? null,
        wabaId: r?.waba_id ?? null,
        paidUntil: paid?.toISOString() ?? null,
        subscription,
        gupshupCheckedAt: r?.gupshup_checked_at?.toISOString() ?? null,
        gupshupError: r?.gupshup_check_error ?? null,
      };
    });
  }

  /** Everything but the company name; a new key or app id is checked with Gupshup before saving. */
  async update(portalId: number, id: string, body: unknown): Promise<ChannelView> {
    const i = parseInput(updateInput, body);
    const row = await this.db
      .selectFrom('channels')
      .select(['id', 'company_name', 'gupshup_app_id', 'api_key_enc'])
      .where('portal_id', '=', portalId)
      .where('id', '=', uuidOrNil(id))
      .where('status', '<>', 'deleted')
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Channel not found');
    if (i.companyName !== undefined && i.companyName !== row.company_name) {
      throw new ValidationError('companyName: the company name shown in WhatsApp cannot be changed here');
    }
    const newAppId = i.gupshupAppId ?? row.gupshup_app_id;
    if (newAppId && (i.apiKey || i.gupshupAppId)) {
      const key = i.apiKey ?? (row.api_key_enc ? this.box.decrypt(row.api_key_enc) : '');
      await this.#checkKey(newAppId, key);
    }
    try {
      await this.db
        .updateTable('channels')
        .set({
          ...(i.name ? { name: i.name } : {}),
          ...(i.gupshupAppName ? { gupshup_app_name: i.gupshupAppName } : {}),
          ...(i.gupshupAppId ? { gupshup_app_id: i.gupshupAppId, gupshup_checked_at: sql`now()` } : {}),
          ...(i.sourceNumber ? { source_number: i.sourceNumber } : {}),
          ...(i.apiKey ? { api_key_enc: this.box.encrypt(i.apiKey), gupshup_check_error: null } : {}),
          ...(i.wabaId !== undefined ? { waba_id: i.wabaId || null } : {}),
          updated_at: sql`now()`,
        })
        .where('portal_id', '=', portalId)
        .where('id', '=', id)
        .execute();
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError('Another channel of this portal already uses this number');
      }
      throw err;
    }
    this.channels.forgetCallbacks();
    this.forget(portalId);
    return this.channels.get(portalId, id, { admin: true });
  }

  // ------------------------------------------------------------------ new number requests

  async requestNumber(portalId: number, userId: number | null, body: unknown) {
    const i = parseInput(numberRequestInput, body);
    if (i.lineId) await this.channels.requireLine(portalId, i.lineId);
    const row = await this.db
      .insertInto('number_requests')
      .values({
        portal_id: portalId,
        company_name: i.companyName,
        contact_name: i.contactName,
        contact_email: i.contactEmail ?? null,
        contact_phone: i.contactPhone ?? null,
        line_id: i.lineId ?? null,
        requested_by_user_id: userId,
      })
      .returning(['id', 'status', 'created_at'])
      .executeTakeFirstOrThrow();
    return { id: row.id, status: row.status, createdAt: row.created_at.toISOString() };
  }

  async listRequests(portalId: number, all = false) {
    let q = this.db
      .selectFrom('number_requests')
      .select([
        'id',
        'company_name',
        'contact_name',
        'contact_email',
        'line_id',
        'status',
        'created_at',
        'channel_id',
      ])
      .orderBy('id');
    q = all ? q : q.where('portal_id', '=', portalId).where('status', '=', 'pending');
    const rows = await q.execute();
    return rows.map((r) => ({
      id: r.id,
      companyName: r.company_name,
      contactName: r.contact_name,
      contactEmail: r.contact_email,
      lineId: r.line_id,
      status: r.status,
      channelId: r.channel_id,
      createdAt: r.created_at.toISOString(),
    }));
  }

  /** Pending requests of every portal: the operator's work list. */
  async pendingRequests() {
    const rows = await this.db
      .selectFrom('number_requests')
      .innerJoin('portals', 'portals.id', 'number_requests.portal_id')
      .select([
        'number_requests.id',
        'portals.domain',
        'number_requests.company_name',
        'number_requests.contact_name',
        'number_requests.contact_email',
        'number_requests.contact_phone',
        'number_requests.created_at',
      ])
      .where('number_requests.status', '=', 'pending')
      .orderBy('number_requests.id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      portal: r.domain,
      companyName: r.company_name,
      contactName: r.contact_name,
      contactEmail: r.contact_email,
      contactPhone: r.contact_phone,
      createdAt: r.created_at.toISOString(),
    }));
  }

  async cancelRequest(portalId: number, id: number): Promise<void> {
    const r = await this.db
      .updateTable('number_requests')
      .set({ status: 'cancelled' })
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new NotFoundError('No pending request with this id');
  }

  /** Operator only: the number was assigned; the request becomes a channel (Pending until activated). */
  async confirmRequest(id: number, body: unknown): Promise<ChannelView> {
    const i = parseInput(confirmInput, body);
    const req = await this.db
      .selectFrom('number_requests')
      .select(['id', 'portal_id', 'company_name', 'line_id', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!req) throw new NotFoundError('Number request not found');
    if (req.status !== 'pending') throw new ConflictError(`This request is already ${req.status}`);
    if (i.gupshupAppId) await this.#checkKey(i.gupshupAppId, i.apiKey);
    const view = await this.channels.create(req.portal_id, { ...i, name: req.company_name });
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('channels')
        .set({ company_name: req.company_name, waba_id: i.wabaId ?? null })
        .where('id', '=', view.id)
        .execute();
      await trx
        .updateTable('number_requests')
        .set({ status: 'confirmed', channel_id: view.id, confirmed_at: sql`now()` })
        .where('id', '=', id)
        .execute();
    });
    return view;
  }

  // ------------------------------------------------------------------ settings and health

  /** What Gupshup gives for this channel's API key; null where it gives nothing. */
  async settings(portalId: number, id: string) {
    const row = await this.db
      .selectFrom('channels')
      .select(['id', 'gupshup_app_name', 'gupshup_app_id', 'source_number', 'waba_id', 'api_key_enc'])
      .where('portal_id', '=', portalId)
      .where('id', '=', uuidOrNil(id))
      .where('status', '<>', 'deleted')
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Channel not found');
    const wallet = row.api_key_enc ? await this.gupshup.wallet(this.box.decrypt(row.api_key_enc)) : null;
    return {
      id: row.id,
      appName: row.gupshup_app_name,
      appId: row.gupshup_app_id,
      mode: row.source_number === GUPSHUP_SANDBOX_NUMBER ? 'sandbox' : 'live',
      wabaId: row.waba_id,
      // Gupshup gives tier and quality to partner accounts only (reference §5.3).
      messagingTier: null,
      phoneQuality: null,
      wallet: wallet === null ? null : { currency: 'USD', balance: wallet },
    };
  }

  /**
   * The health strip: Bitrix24 token usable and connector on for the line (one `imconnector.status`,
   * which refreshes the token when needed), the last webhook from Gupshup, and whether Gupshup takes
   * the channel's key now (recorded for the list).
   */
  async health(portalId: number): Promise<ChannelHealth[]> {
    const hit = this.#health.get(portalId);
    if (hit && hit.until > Date.now()) return hit.items;
    const items = await this.#checkHealth(portalId);
    if (this.#health.size > 10_000) this.#health.clear();
    this.#health.set(portalId, { items, until: Date.now() + HEALTH_MS });
    return items;
  }

  /** A channel changed: the next health strip asks again. */
  forget(portalId: number): void {
    this.#health.delete(portalId);
  }

  async #checkHealth(portalId: number): Promise<ChannelHealth[]> {
    const rows = await this.db
      .selectFrom('channels')
      .select(['id', 'line_id', 'status', 'last_webhook_at', 'gupshup_app_id', 'api_key_enc'])
      .where('portal_id', '=', portalId)
      .where('status', '<>', 'deleted')
      .orderBy('created_at')
      .execute();
    return Promise.all(
      rows.map(async (r) => {
        let tokenOk: boolean | null = null;
        let connectorActive: boolean | null = null;
        if (r.line_id) {
          try {
            const line = r.line_id;
            const st = await politely(() => this.connector.lineStatus(portalId, line));
            tokenOk = true;
            connectorActive = st.status;
          } catch (err) {
            tokenOk = !(err instanceof ProviderError && err.status === 401);
          }
        }
        let gupshupOk: boolean | null = null;
        let gupshupError: string | null = null;
        if (r.gupshup_app_id && r.api_key_enc) {
          try {
            const k = await this.gupshup.checkKey(r.gupshup_app_id, this.box.decrypt(r.api_key_enc));
            gupshupOk = k.ok;
            gupshupError = k.ok ? null : k.reason;
          } catch {
            gupshupOk = false;
            gupshupError = 'unreachable';
          }
          await this.db
            .updateTable('channels')
            .set({ gupshup_checked_at: sql`now()`, gupshup_check_error: gupshupError })
            .where('id', '=', r.id)
            .execute();
        }
        return {
          channelId: r.id,
          tokenOk,
          connectorActive,
          lastWebhookAt: r.last_webhook_at?.toISOString() ?? null,
          gupshupOk,
          gupshupError,
        };
      }),
    );
  }

  /** The connector placement: Bitrix24's own view of the line (imconnector.status, reference §3.5). */
  async lineStatus(portalId: number, line: number) {
    try {
      return { line, ...(await politely(() => this.connector.lineStatus(portalId, line))) };
    } catch (err) {
      if (isRefusedAddress(err)) throw new ValidationError(NOT_PUBLIC_HOST);
      if (err instanceof ProviderError) {
        throw new AppError(
          'upstream_unavailable',
          'Bitrix24 did not answer imconnector.status; try again',
          503,
        );
      }
      throw err;
    }
  }
}
