import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, PortalRow } from '../../shared/db/schema.js';
import type { SecretBox } from '../../shared/crypto.js';
import type { TokenSet, TokenStore } from '../../integrations/bitrix24/bitrix24.client.js';
import { NotFoundError } from '../../shared/errors.js';
import type { Budget } from '../../shared/rate-limiter.js';

/** Columns safe to hand around: no tokens. */
export const portalColumns = [
  'id',
  'member_id',
  'domain',
  'client_endpoint',
  'lang',
  'status',
  'setup_error',
  'installed_at',
  'rate_drain_per_sec',
  'rate_burst',
] as const;
export type Portal = Pick<PortalRow, (typeof portalColumns)[number]>;

export interface PortalInstall {
  memberId: string;
  domain: string;
  clientEndpoint: string;
  serverEndpoint: string | null;
  lang: string;
  tokens: TokenSet;
  applicationToken: string | null;
  userId: number | null;
}

export class PortalsRepository implements TokenStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly box: SecretBox,
  ) {}

  /** Runs `fn` in one transaction (the install and its setup job land together). */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  findByMemberId(memberId: string): Promise<(Portal & { application_token_mac: string | null }) | undefined> {
    return this.db
      .selectFrom('portals')
      .select([...portalColumns, 'application_token_mac'])
      .where('member_id', '=', memberId)
      .executeTakeFirst();
  }

  findById(id: number): Promise<Portal | undefined> {
    return this.db.selectFrom('portals').select(portalColumns).where('id', '=', id).executeTakeFirst();
  }

  /** Creates or refreshes the portal row with new tokens; `installing` until setup finished. */
  async upsertInstall(i: PortalInstall, exec: Kysely<DB> | Transaction<DB> = this.db): Promise<Portal> {
    const values = {
      member_id: i.memberId,
      domain: i.domain,
      client_endpoint: i.clientEndpoint,
      server_endpoint: i.serverEndpoint,
      lang: i.lang,
      access_token_enc: this.box.encrypt(i.tokens.accessToken),
      refresh_token_enc: this.box.encrypt(i.tokens.refreshToken),
      token_expires_at: i.tokens.expiresAt,
      installed_by_user_id: i.userId,
      ...(i.applicationToken ? { application_token_mac: this.box.mac(i.applicationToken) } : {}),
    };
    return exec
      .insertInto('portals')
      .values({ ...values, status: 'installing' })
      .onConflict((oc) =>
        oc.column('member_id').doUpdateSet({
          ...values,
          status: sql`CASE WHEN portals.status = 'uninstalled' THEN 'installing' ELSE portals.status END`,
          uninstalled_at: null,
          updated_at: sql`now()`,
        }),
      )
      .returning(portalColumns)
      .executeTakeFirstOrThrow();
  }

  async markInstalled(id: number): Promise<void> {
    await this.db
      .updateTable('portals')
      .set({
        status: 'installed',
        setup_error: null,
        installed_at: sql`coalesce(installed_at, now())`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  async markSetupError(id: number, error: string): Promise<void> {
    await this.db
      .updateTable('portals')
      .set({ setup_error: error.slice(0, 500), updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Uninstall: the portal's secrets go and its open work is cancelled; its history stays for the
   * admin's records. The portal row is updated first: a worker turning an accepted webhook into jobs
   * holds that row (FOR SHARE, ingest.repository.ts), so either it finishes first and its new jobs are
   * cancelled here, or it waits and then sees the portal uninstalled and makes none.
   */
  async purgeSecrets(id: number, cancelWork: (trx: Transaction<DB>) => Promise<void>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('portals')
        .set({
          status: 'uninstalled',
          access_token_enc: null,
          refresh_token_enc: null,
          token_expires_at: null,
          application_token_mac: null,
          uninstalled_at: sql`now()`,
          updated_at: sql`now()`,
        })
        .where('id', '=', id)
        .execute();
      await trx
        .updateTable('channels')
        .set({
          api_key_enc: null,
          status: sql`CASE WHEN status = 'deleted' THEN 'deleted' ELSE 'inactive' END`,
          line_id: null,
          status_reason: 'app_uninstalled',
          updated_at: sql`now()`,
        })
        .where('portal_id', '=', id)
        .execute();
      await trx
        .updateTable('api_tokens')
        .set({ revoked_at: sql`now()` })
        .where('portal_id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
      // The portal's SMSAPI token (docs/sms.md); Bitrix24 removed our SMS provider with the app.
      await trx
        .updateTable('sms_settings')
        .set({ token_enc: null, provider_registered_at: null, updated_at: sql`now()` })
        .where('portal_id', '=', id)
        .execute();
      await cancelWork(trx);
    });
  }

  async getAccess(
    portalId: number,
  ): Promise<{ clientEndpoint: string; accessToken: string; budget: Budget }> {
    const row = await this.db
      .selectFrom('portals')
      .select(['client_endpoint', 'access_token_enc', 'status', 'rate_drain_per_sec', 'rate_burst'])
      .where('id', '=', portalId)
      .executeTakeFirst();
    if (!row?.access_token_enc || row.status === 'uninstalled') {
      throw new NotFoundError('Portal is not installed');
    }
    return {
      clientEndpoint: row.client_endpoint,
      accessToken: this.box.decrypt(row.access_token_enc),
      budget: { perSec: row.rate_drain_per_sec, burst: row.rate_burst },
    };
  }

  /**
   * One refresh at a time per portal, across instances: the row lock serializes callers; whoever comes
   * second sees the token already replaced and uses it. The new refresh token is saved every time.
   */
  async refreshSerialized(
    portalId: number,
    staleAccessToken: string,
    refresh: (refreshToken: string) => Promise<TokenSet>,
  ): Promise<string> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('portals')
        .select(['access_token_enc', 'refresh_token_enc'])
        .where('id', '=', portalId)
        .forUpdate()
        .executeTakeFirst();
      if (!row?.access_token_enc || !row.refresh_token_enc) {
        throw new NotFoundError('Portal is not installed');
      }
      const current = this.box.decrypt(row.access_token_enc);
      if (current !== staleAccessToken) return current;
      const t = await refresh(this.box.decrypt(row.refresh_token_enc));
      await trx
        .updateTable('portals')
        .set({
          access_token_enc: this.box.encrypt(t.accessToken),
          refresh_token_enc: this.box.encrypt(t.refreshToken),
          token_expires_at: t.expiresAt,
          updated_at: sql`now()`,
        })
        .where('id', '=', portalId)
        .execute();
      return t.accessToken;
    });
  }

  /** The portal's name, language and REST budget. */
  planOf(id: number) {
    return this.db
      .selectFrom('portals')
      .select(['domain', 'lang', 'rate_drain_per_sec', 'rate_burst'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  async setBudget(id: number, b: Budget): Promise<void> {
    await this.db
      .updateTable('portals')
      .set({ rate_drain_per_sec: b.perSec, rate_burst: b.burst, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }
}
