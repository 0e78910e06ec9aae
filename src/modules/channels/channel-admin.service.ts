import type { Kysely } from 'kysely';
import { z } from 'zod';
import { politely } from '../../integrations/bitrix24/rate-retry.js';
import { GUPSHUP_SANDBOX_NUMBER, type KeyCheck } from '../../integrations/gupshup/gupshup.apps.js';
import type { SecretBox } from '../../shared/crypto.js';
import type { DB } from '../../shared/db/schema.js';
import {
  AppError,
  ConflictError,
  isRefusedAddress,
  NOT_PUBLIC_HOST,
  NotFoundError,
  ProviderError,
  ValidationError,
} from '../../shared/errors.js';
import { isUniqueViolation, type ChannelsRepository } from './channels.repository.js';
import type { ConfirmInput, ConnectInput, NumberRequestInput, UpdateInput } from './channels.schemas.js';
import type { ChannelsService, ChannelView, Reader } from './channels.service.js';
import type { NumberRequestsRepository } from './number-requests.repository.js';
import type { ConnectorLines, GupshupAccount } from './ports.js';

/**
 * What the admin pages add to channels (issue 4): connecting an existing Gupshup app with its key
 * checked first, editing, the request-a-number flow with the operator's confirmation, the settings
 * Gupshup gives for an API key, and the per-channel health strip.
 */

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

/** Why Gupshup did not take a channel's key: it said so, or it did not answer. */
export type GupshupKeyError = Extract<KeyCheck, { ok: false }>['reason'] | 'unreachable';

/** The Gupshup wallet, as the settings and the health strip show it (credits are USD, §5.2). */
export interface Wallet {
  currency: 'USD';
  balance: number;
}

export interface ChannelHealth {
  channelId: string;
  tokenOk: boolean | null;
  connectorActive: boolean | null;
  lastWebhookAt: string | null;
  gupshupOk: boolean | null;
  gupshupError: GupshupKeyError | null;
  /** Null where Gupshup does not give it to an API key. */
  wallet: Wallet | null;
}

/** How long a portal's health strip is reused (each costs a Bitrix24 and a Gupshup call per channel). */
const HEALTH_MS = 15_000;

export interface ChannelAdminDeps {
  db: Kysely<DB>;
  repo: ChannelsRepository;
  requests: NumberRequestsRepository;
  box: SecretBox;
  channels: ChannelsService;
  gupshup: GupshupAccount;
  connector: ConnectorLines;
}

export class ChannelAdminService {
  readonly #health = new Map<number, { items: ChannelHealth[]; until: number }>();

  constructor(private readonly d: ChannelAdminDeps) {
    d.channels.onChange((portalId) => this.forget(portalId));
  }

  /** The key must open the app it claims to belong to, before anything is saved. */
  async #checkKey(gupshupAppId: string, apiKey: string): Promise<void> {
    let r;
    try {
      r = await this.d.gupshup.checkKey(gupshupAppId, apiKey);
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
  async connect(portalId: number, i: ConnectInput): Promise<ChannelView> {
    if (i.gupshupAppId) await this.#checkKey(i.gupshupAppId, i.apiKey);
    const view = await this.d.channels.create(portalId, i);
    this.forget(portalId);
    await this.d.repo.setAccount(this.d.db, view.id, {
      companyName: i.companyName ?? null,
      wabaId: i.wabaId ?? null,
      keyChecked: Boolean(i.gupshupAppId),
    });
    return view;
  }

  async details(portalId: number, reader: Reader): Promise<ChannelDetails[]> {
    const [views, rows] = await Promise.all([
      this.d.channels.list(portalId, reader),
      this.d.repo.details(portalId),
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
  async update(portalId: number, id: string, i: UpdateInput): Promise<ChannelView> {
    const row = await this.d.repo.findWithKey(portalId, uuidOrNil(id));
    if (!row) throw new NotFoundError('Channel not found');
    if (i.companyName !== undefined && i.companyName !== row.company_name) {
      throw new ValidationError('companyName: the company name shown in WhatsApp cannot be changed here');
    }
    const newAppId = i.gupshupAppId ?? row.gupshup_app_id;
    if (newAppId && (i.apiKey || i.gupshupAppId)) {
      const key = i.apiKey ?? (row.api_key_enc ? this.d.box.decrypt(row.api_key_enc) : '');
      await this.#checkKey(newAppId, key);
    }
    try {
      await this.d.repo.update(portalId, id, {
        ...(i.name ? { name: i.name } : {}),
        ...(i.gupshupAppName ? { gupshupAppName: i.gupshupAppName } : {}),
        ...(i.gupshupAppId ? { gupshupAppId: i.gupshupAppId } : {}),
        ...(i.sourceNumber ? { sourceNumber: i.sourceNumber } : {}),
        ...(i.apiKey ? { apiKeyEnc: this.d.box.encrypt(i.apiKey) } : {}),
        ...(i.wabaId !== undefined ? { wabaId: i.wabaId || null } : {}),
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError('Another channel of this portal already uses this number');
      }
      throw err;
    }
    this.d.channels.forgetCallbacks();
    this.forget(portalId);
    return this.d.channels.get(portalId, id, { admin: true });
  }

  // ------------------------------------------------------------------ new number requests

  async requestNumber(portalId: number, userId: number | null, i: NumberRequestInput) {
    if (i.lineId) await this.d.channels.requireLine(portalId, i.lineId);
    const row = await this.d.requests.insert({
      portalId,
      companyName: i.companyName,
      contactName: i.contactName,
      contactEmail: i.contactEmail ?? null,
      contactPhone: i.contactPhone ?? null,
      lineId: i.lineId ?? null,
      requestedByUserId: userId,
    });
    return { id: row.id, status: row.status, createdAt: row.created_at.toISOString() };
  }

  /** The portal's pending requests. */
  async listRequests(portalId: number) {
    const rows = await this.d.requests.list(portalId);
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
    const rows = await this.d.requests.pending();
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
    if (!(await this.d.requests.cancel(portalId, id))) {
      throw new NotFoundError('No pending request with this id');
    }
  }

  /** Operator only: the number was assigned; the request becomes a channel (Pending until activated). */
  async confirmRequest(id: number, i: ConfirmInput): Promise<ChannelView> {
    const req = await this.d.requests.find(id);
    if (!req) throw new NotFoundError('Number request not found');
    if (req.status !== 'pending') throw new ConflictError(`This request is already ${req.status}`);
    if (i.gupshupAppId) await this.#checkKey(i.gupshupAppId, i.apiKey);
    const view = await this.d.channels.create(req.portal_id, { ...i, name: req.company_name });
    await this.d.repo.transaction(async (trx) => {
      await this.d.repo.setAccount(trx, view.id, { companyName: req.company_name, wabaId: i.wabaId ?? null });
      await this.d.requests.markConfirmed(trx, id, view.id);
    });
    return view;
  }

  // ------------------------------------------------------------------ settings and health

  /** What Gupshup gives for this channel's API key; null where it gives nothing. */
  async settings(portalId: number, id: string) {
    const row = await this.d.repo.findWithKey(portalId, uuidOrNil(id));
    if (!row) throw new NotFoundError('Channel not found');
    const wallet = await this.#wallet(row.api_key_enc);
    return {
      id: row.id,
      appName: row.gupshup_app_name,
      appId: row.gupshup_app_id,
      mode: row.source_number === GUPSHUP_SANDBOX_NUMBER ? 'sandbox' : 'live',
      wabaId: row.waba_id,
      // Gupshup gives tier and quality to partner accounts only (reference §5.3).
      messagingTier: null,
      phoneQuality: null,
      wallet,
    };
  }

  /** The wallet balance Gupshup gives for a key; null where it gives none. */
  async #wallet(apiKeyEnc: string | null): Promise<Wallet | null> {
    const balance = apiKeyEnc ? await this.d.gupshup.wallet(this.d.box.decrypt(apiKeyEnc)) : null;
    return balance === null ? null : { currency: 'USD', balance };
  }

  /**
   * The health strip: Bitrix24 token usable and connector on for the line (one `imconnector.status`,
   * which refreshes the token when needed), the last webhook from Gupshup, whether Gupshup takes the
   * channel's key now (recorded for the list), and its wallet.
   */
  async health(portalId: number): Promise<ChannelHealth[]> {
    const hit = this.#health.get(portalId);
    if (hit && hit.until > Date.now()) return hit.items;
    const rows = await this.d.repo.healthRows(portalId);
    const items = await Promise.all(
      rows.map(async (r) => ({
        channelId: r.id,
        ...(await this.#bitrixHealth(portalId, r.line_id)),
        lastWebhookAt: r.last_webhook_at?.toISOString() ?? null,
        ...(await this.#gupshupHealth(r)),
        wallet: await this.#wallet(r.api_key_enc),
      })),
    );
    if (this.#health.size > 10_000) this.#health.clear();
    this.#health.set(portalId, { items, until: Date.now() + HEALTH_MS });
    return items;
  }

  /** A channel changed: the next health strip asks again. */
  forget(portalId: number): void {
    this.#health.delete(portalId);
  }

  async #bitrixHealth(portalId: number, line: number | null) {
    let tokenOk: boolean | null = null;
    let connectorActive: boolean | null = null;
    if (line) {
      try {
        const st = await politely(() => this.d.connector.lineStatus(portalId, line));
        tokenOk = true;
        connectorActive = st.status;
      } catch (err) {
        tokenOk = !(err instanceof ProviderError && err.status === 401);
      }
    }
    return { tokenOk, connectorActive };
  }

  /** Asks Gupshup whether the channel's key opens its app, and records the answer for the list. */
  async #gupshupHealth(r: { id: string; gupshup_app_id: string | null; api_key_enc: string | null }) {
    let gupshupOk: boolean | null = null;
    let gupshupError: GupshupKeyError | null = null;
    if (r.gupshup_app_id && r.api_key_enc) {
      try {
        const k = await this.d.gupshup.checkKey(r.gupshup_app_id, this.d.box.decrypt(r.api_key_enc));
        gupshupOk = k.ok;
        gupshupError = k.ok ? null : k.reason;
      } catch {
        gupshupOk = false;
        gupshupError = 'unreachable';
      }
      await this.d.repo.recordGupshupCheck(r.id, gupshupError);
    }
    return { gupshupOk, gupshupError };
  }

  /** The connector placement: Bitrix24's own view of the line (imconnector.status, reference §3.5). */
  async lineStatus(portalId: number, line: number) {
    try {
      return { line, ...(await politely(() => this.d.connector.lineStatus(portalId, line))) };
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
