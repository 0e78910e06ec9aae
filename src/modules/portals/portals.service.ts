import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Log as Logger } from '../../shared/logger.js';
import type { Bitrix24Client } from '../../integrations/bitrix24/bitrix24.client.js';
import type { EventInstall, IframeInstall } from '../../integrations/bitrix24/events.js';
import type { Bitrix24Connector, CallFn } from '../../integrations/bitrix24/bitrix24.connector.js';
import type { SecretBox } from '../../shared/crypto.js';
import type { DB } from '../../shared/db/schema.js';
import {
  AppError,
  ForbiddenError,
  NotFoundError,
  isRefusedAddress,
  NOT_PUBLIC_HOST,
  ProviderError,
  UnauthorizedError,
  ValidationError,
} from '../../shared/errors.js';
import { isPrivateHost } from '../../shared/hosts.js';
import { toLang, type Lang } from '../../shared/i18n.js';
import { cancelPortalJobs, enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler } from '../../jobs/worker.js';
import { writeTrace } from '../trace/trace.service.js';
import type { Portal, PortalsRepository } from './portals.repository.js';
import { proveInstall, type ProvenInstall } from './install-proof.js';
import { assertResolvesPublic, isBlockedAddressError, type Resolve } from '../../shared/http/ssrf-guard.js';
import type { ChannelCallbacks } from './ports.js';

export interface PortalsServiceDeps {
  db: Kysely<DB>;
  repo: PortalsRepository;
  client: Bitrix24Client;
  connector: Bitrix24Connector;
  box: SecretBox;
  publicUrl: string;
  appName: string;
  allowPrivateHosts: boolean;
  /** The SSRF guard's resolver: an install's claimed host is resolved and checked before anything. */
  resolve?: Resolve;
  channels: ChannelCallbacks;
  /**
   * What other modules add to the portal once it is installed (templates: chat and CRM placements,
   * the automation rule), run by the `portal.extras` job with the stored tokens, paced like all
   * background calls. Returns what Bitrix24 refused for good; the connector works without it.
   */
  extraSetup?: ((call: CallFn, portalId: number) => Promise<string[]>) | undefined;
}

/** Install, verify and uninstall portals (C2). */
export class PortalsService {
  readonly #installed: Array<(portalId: number) => Promise<void>> = [];

  constructor(private readonly d: PortalsServiceDeps) {}

  /**
   * What another module records once a portal's setup (connector, event bindings) is done, e.g. which
   * version of the bindings it got, so nothing binds them again.
   */
  onInstalled(fn: (portalId: number) => Promise<void>): void {
    this.#installed.push(fn);
  }

  async #markInstalled(portalId: number): Promise<void> {
    await this.d.repo.markInstalled(portalId);
    for (const fn of this.#installed) await fn(portalId);
  }

  get connectorHandler(): string {
    return `${this.d.publicUrl}/b24/connector`;
  }
  get eventsHandler(): string {
    return `${this.d.publicUrl}/b24/events`;
  }

  /**
   * The install wizard's iframe POST. Nothing the page claims is trusted until Bitrix24's OAuth server
   * has confirmed it (install-proof.ts): the portal, its REST endpoint and an admin user. Only then
   * are the connector registered and the events bound, with the proven token, and the portal stored.
   * The page's `APPLICATION_TOKEN` comes from that admin's own frame; a page without one (older
   * portals) keeps the stored token, or leaves it to the first proven ONAPPINSTALL.
   */
  async installFromIframe(i: IframeInstall, log: Logger): Promise<{ portal: Portal; lang: Lang }> {
    await this.#checkResolvedHost(i.domain);
    const proven = await this.#prove(i, log);
    let calls = 0;
    const call: CallFn = (method, params) => {
      calls++;
      return this.d.client.callWithToken(proven.clientEndpoint, proven.tokens.accessToken, method, params);
    };
    try {
      await this.#setup(call);
    } catch (err) {
      // The name passed the pre-check but resolves to a non-public address (SSRF guard).
      if (isRefusedAddress(err)) throw new ValidationError(NOT_PUBLIC_HOST);
      if (err instanceof ProviderError) {
        log.warn({ memberId: i.memberId, code: err.providerCode }, 'Install setup refused by Bitrix24.');
        throw new AppError(
          err.retryable ? 'upstream_unavailable' : 'upstream_rejected',
          `Bitrix24 did not complete the setup (${err.providerCode ?? 'no answer'}); reopen the application to try again`,
          err.retryable ? 503 : 502,
        );
      }
      throw err;
    }
    const lang = toLang(i.lang);
    const portal = await this.d.repo.upsertInstall({
      memberId: proven.memberId,
      domain: proven.domain,
      clientEndpoint: proven.clientEndpoint,
      serverEndpoint: proven.serverEndpoint ?? i.serverEndpoint ?? null,
      lang,
      tokens: proven.tokens,
      applicationToken: i.applicationToken ?? null,
      userId: proven.userId,
    });
    // The setup's calls went out before the portal had a bucket: they count against it now, so the
    // first messages do not find Bitrix24's bucket fuller than ours (QUERY_LIMIT_EXCEEDED).
    await this.d.client.spentUnpaced(portal.id, calls);
    await this.#markInstalled(portal.id);
    await writeTrace(this.d.db, {
      portalId: portal.id,
      step: 'portal_installed',
      detail: 'connector registered, events bound',
    });
    await this.#queueExtras(portal.id);
    log.info({ portalId: portal.id }, 'Portal installed from the install page.');
    return { portal, lang };
  }

  /**
   * ONAPPINSTALL (installation callback). Proven like the install page, before anything is stored;
   * then stored with its application token and answered, and the connector registration runs as a
   * job with the proven tokens at the proven endpoint. An unproven event plants nothing.
   */
  async installFromEvent(e: EventInstall, log: Logger): Promise<void> {
    // The REST endpoint must be the portal's own domain: an event cannot send our calls elsewhere.
    let endpointHost: string;
    try {
      endpointHost = new URL(e.clientEndpoint).host.toLowerCase();
    } catch {
      throw new ValidationError('auth[client_endpoint] is not a URL');
    }
    if (endpointHost !== e.domain.toLowerCase()) {
      throw new ValidationError('auth[client_endpoint] is not on auth[domain]');
    }
    await this.#checkResolvedHost(e.domain);
    const proven = await this.#prove(e, log);
    await this.d.repo.transaction(async (trx) => {
      const portal = await this.d.repo.upsertInstall(
        {
          memberId: proven.memberId,
          domain: proven.domain,
          clientEndpoint: proven.clientEndpoint,
          serverEndpoint: proven.serverEndpoint ?? e.serverEndpoint ?? null,
          lang: toLang(e.lang),
          tokens: proven.tokens,
          applicationToken: e.applicationToken,
          userId: proven.userId,
        },
        trx,
      );
      await enqueueJob(trx, {
        topic: 'portal.setup',
        portalId: portal.id,
        payload: {},
        dedupeKey: `setup:${portal.id}:${Date.now()}`,
      });
      await writeTrace(trx, {
        portalId: portal.id,
        step: 'portal_install_event',
        detail: 'ONAPPINSTALL proven by the OAuth server; setup queued',
      });
    });
    log.info({ memberId: e.memberId }, 'ONAPPINSTALL proven and stored.');
  }

  #prove(c: { memberId: string; refreshToken: string; domain: string }, log: Logger): Promise<ProvenInstall> {
    return proveInstall(this.d.client, c, (h) => this.#checkHost(h), log);
  }

  /**
   * Checks a Bitrix24 event's `auth[application_token]` against the stored one for its member_id,
   * in constant time (reference §2.3). Unknown portal → 401; wrong or missing token → 403.
   */
  async verifyEvent(memberId: string | undefined, applicationToken: string | undefined): Promise<Portal> {
    if (!memberId) throw new UnauthorizedError('Event without auth[member_id]');
    const p = await this.d.repo.findByMemberId(memberId);
    if (!p || p.status === 'uninstalled' || !p.application_token_mac) {
      throw new UnauthorizedError('Unknown portal');
    }
    if (!applicationToken || !this.d.box.verifyMac(applicationToken, p.application_token_mac)) {
      throw new ForbiddenError('Application token does not match');
    }
    return p;
  }

  /** ONAPPUNINSTALL: secrets deleted, open work cancelled, channels switched off. */
  async uninstall(portal: Portal, log: Logger): Promise<void> {
    // The application token also reaches every user who opens the app's pages (reference §1.2), so
    // it alone cannot prove an uninstall. A genuine one has already revoked our access (§1.8): if
    // the portal still answers our stored token, the event is forged and nothing is deleted.
    const check = await this.#stillInstalled(portal.id);
    if (check === 'installed') {
      log.warn({ portalId: portal.id }, 'ONAPPUNINSTALL refused: the portal still accepts our token.');
      throw new ForbiddenError('The application is still installed on this portal');
    }
    await this.d.repo.purgeSecrets(portal.id, (trx) => cancelPortalJobs(trx, portal.id, 'app uninstalled'));
    await writeTrace(this.d.db, {
      portalId: portal.id,
      step: 'portal_uninstalled',
      level: 'WARN',
      detail:
        check === 'gone'
          ? 'secrets deleted, work stopped'
          : 'secrets deleted, work stopped (Bitrix24 did not answer the check that the app is gone)',
    });
    this.d.channels.forgetCallbacks();
    log.info({ portalId: portal.id }, 'Portal uninstalled; its secrets were deleted.');
  }

  /**
   * Whether the portal still accepts our stored tokens (`app.info`, refreshing once if expired).
   * 'unknown' when Bitrix24 did not answer (outage, rate limit): the uninstall is then taken, traced
   * as unverified, since Bitrix24 does not send the event again and its tokens are likely revoked.
   */
  async #stillInstalled(portalId: number): Promise<'installed' | 'gone' | 'unknown'> {
    try {
      await this.d.client.appInfo(portalId);
      return 'installed';
    } catch (err) {
      if (err instanceof NotFoundError) return 'gone'; // no tokens stored: nothing to protect
      if (err instanceof ProviderError && !err.retryable) return 'gone';
      if (err instanceof ProviderError) return 'unknown';
      throw err;
    }
  }

  /**
   * The claimed portal host, resolved: a name pointing at a private address is refused with a 400
   * before the OAuth server or anyone else is asked (the dispatcher would refuse the call anyway).
   */
  async #checkResolvedHost(host: string): Promise<void> {
    this.#checkHost(host);
    if (this.d.allowPrivateHosts) return;
    let hostname: string;
    try {
      hostname = new URL(`http://${host.trim()}`).hostname;
    } catch {
      throw new ValidationError(NOT_PUBLIC_HOST);
    }
    try {
      await assertResolvesPublic(hostname, this.d.resolve);
    } catch (err) {
      if (isBlockedAddressError(err)) throw new ValidationError(NOT_PUBLIC_HOST);
      throw new ValidationError('The portal address does not resolve');
    }
  }

  #checkHost(host: string): void {
    if (!this.d.allowPrivateHosts && isPrivateHost(host)) {
      throw new ValidationError(NOT_PUBLIC_HOST);
    }
  }

  async #setup(call: CallFn): Promise<void> {
    await this.d.connector.register(call, this.d.appName, this.connectorHandler);
    await this.d.connector.bindEvents(call, this.eventsHandler);
  }

  /** The `portal.setup` job: registration after an ONAPPINSTALL, with the stored tokens. */
  setupJob(): JobHandler {
    return {
      run: async (job) => {
        const portalId = job.portal_id;
        if (portalId === null) return { kind: 'dead', error: 'setup job without portal' };
        const p = await this.d.repo.findById(portalId);
        if (!p || p.status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
        const call: CallFn = (method, params) => this.d.client.call(portalId, method, params);
        await this.#setup(call);
        await this.#markInstalled(portalId);
        await writeTrace(this.d.db, {
          portalId,
          step: 'portal_installed',
          detail: 'connector registered, events bound',
        });
        await this.#queueExtras(portalId);
        return { kind: 'done' };
      },
      onDead: async (job, error) => {
        if (job.portal_id === null) return;
        await this.d.repo.markSetupError(job.portal_id, error);
        await writeTrace(this.d.db, {
          portalId: job.portal_id,
          step: 'portal_setup_failed',
          level: 'ERROR',
          detail: error,
        });
      },
    };
  }

  /** Queues `portal.extras` (once per install: a re-install binds again, which Bitrix24 accepts). */
  async #queueExtras(portalId: number): Promise<void> {
    if (!this.d.extraSetup) return;
    await enqueueJob(this.d.db, {
      topic: 'portal.extras',
      portalId,
      payload: {},
      dedupeKey: `extras:${portalId}:${Date.now()}`,
    });
  }

  /** `portal.extras`: what other modules add once the portal is installed (see `extraSetup`). */
  extrasJob(): JobHandler {
    return {
      run: async (job) => {
        const portalId = job.portal_id;
        if (portalId === null || !this.d.extraSetup) return { kind: 'dead', error: 'nothing to set up' };
        const p = await this.d.repo.findById(portalId);
        if (!p || p.status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
        const call: CallFn = (method, params) => this.d.client.call(portalId, method, params);
        const refused = await this.d.extraSetup(call, portalId);
        await writeTrace(this.d.db, {
          portalId,
          step: 'portal_extras',
          level: refused.length ? 'WARN' : 'INFO',
          detail: refused.length
            ? `refused by Bitrix24: ${refused.join('; ')}`.slice(0, 500)
            : 'template picker, CRM tabs, automation rule and SMS provider added',
        });
        return { kind: 'done' };
      },
    };
  }

  /** The portal's Bitrix24 plan, as the admin set it (Bitrix24 does not tell an app), and its budget. */
  async plan(portalId: number) {
    const p = await this.d.repo.planOf(portalId);
    return {
      domain: p.domain,
      lang: p.lang,
      plan: p.rate_burst >= PLANS.enterprise.burst ? 'enterprise' : 'standard',
      restBudget: { perSec: p.rate_drain_per_sec, burst: p.rate_burst },
    };
  }

  /** Sets the REST budget every instance's shared bucket reads on each call (reference §7). */
  async setPlan(portalId: number, { plan }: PlanInput) {
    await this.d.repo.setBudget(portalId, PLANS[plan]);
    return this.plan(portalId);
  }
}

/** Bitrix24's REST limits (reference §7): Enterprise drains 5 req/s and blocks above 250, others 2/50. */
const PLANS = { standard: { perSec: 2, burst: 50 }, enterprise: { perSec: 5, burst: 250 } } as const;
export const planInput = z.object({ plan: z.enum(['standard', 'enterprise']) });
export type PlanInput = z.infer<typeof planInput>;
