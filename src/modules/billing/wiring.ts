import type { Config } from '../../config.js';
import { Bitrix24Notifications } from '../../integrations/bitrix24/notify.js';
import type { Bitrix24Client } from '../../integrations/bitrix24/bitrix24.client.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { Database } from '../../shared/db/database.js';
import { BillingRepository } from './billing.repository.js';
import { LedgerService } from './ledger.service.js';
import { LowBalanceService } from './low-balance.js';
import { OfferRepository } from './offer.repository.js';
import { OfferService } from './offer.service.js';
import { SettingsRepository } from './settings.repository.js';

/**
 * The billing module's part of the composition root: the ledger of message units, the vendor's offer,
 * the low-balance warning, and what the send path gets (`MessageBilling` and the BILLING_* settings).
 */
export function buildBilling(db: Database, nudge: () => void, config: Config, bitrix: Bitrix24Client) {
  const ledger = new LedgerService(new BillingRepository(db), { nudge });
  return {
    ledger,
    offer: new OfferService(new OfferRepository(db)),
    lowBalance: new LowBalanceService({
      repo: new SettingsRepository(db),
      notifier: new Bitrix24Notifications(bitrix),
      nudge,
    }),
    /** MessagingDeps.billing: charging each outbound WhatsApp message (messaging/outbound/charge.ts). */
    send: { billing: ledger, ...config.billing, trial: { ...config.billing.trial } },
  };
}

export type Billing = ReturnType<typeof buildBilling>;

/** The billing job topics: expiry, the low-balance warning, and the send path's (billing events, sweep). */
export function billingJobs(
  b: Billing,
  messaging: { billingJobs(): Record<string, JobHandler> },
): Record<string, JobHandler> {
  return {
    'billing.expire': b.ledger.expireJob(),
    'billing.low_balance': b.lowBalance.job(),
    ...messaging.billingJobs(),
  };
}
