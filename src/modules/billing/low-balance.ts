import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import type { JobRow } from '../../shared/db/schema.js';
import { toLang } from '../../shared/i18n.js';
import { t } from '../../shared/texts.js';
import type { BillingSettings } from './billing.schemas.js';
import type { SettingsRepository } from './settings.repository.js';

/** What the low-balance warning needs from Bitrix24 (integrations/bitrix24/notify.ts). */
export interface AdminNotifier {
  notify(portalId: number, userId: number, message: string, tag: string): Promise<void>;
}

/** One notification per user: a retried job replaces it (im.notify.system.add's TAG) instead of adding one. */
const TAG = 'whatsappb24_low_balance';

/**
 * The billing admin's low-balance threshold (GET/PUT /api/v1/billing/settings) and its warning: when
 * the portal's available units fall below it, the admins get one Bitrix24 notification per crossing
 * (`billing.low_balance`, queued by the database itself: migrations/0013_billing_send.sql), re-armed
 * when the balance is back at or above the threshold.
 */
export class LowBalanceService {
  constructor(
    private readonly d: { repo: SettingsRepository; notifier: AdminNotifier; nudge?: () => void },
  ) {}

  async settings(portalId: number): Promise<BillingSettings> {
    return { lowBalanceThreshold: await this.d.repo.threshold(portalId) };
  }

  async update(portalId: number, s: BillingSettings, userId: number | null): Promise<BillingSettings> {
    if (await this.d.repo.setThreshold(portalId, s.lowBalanceThreshold, userId)) this.d.nudge?.();
    return this.settings(portalId);
  }

  job(): JobHandler {
    return { run: (job) => this.#warn(job) };
  }

  async #warn(job: JobRow): Promise<JobOutcome> {
    if (job.portal_id === null) return { kind: 'dead', error: 'no portal' };
    const to = await this.d.repo.recipients(job.portal_id);
    if (!to) return { kind: 'cancel', reason: 'portal uninstalled' };
    const p = job.payload as { available?: unknown; threshold?: unknown };
    const message = t(toLang(to.lang), 'billing.low_balance')
      .replace('{available}', String(Number(p.available) || 0))
      .replace('{threshold}', String(Number(p.threshold) || 0));
    for (const userId of to.userIds) await this.d.notifier.notify(job.portal_id, userId, message, TAG);
    return { kind: 'done' };
  }
}
