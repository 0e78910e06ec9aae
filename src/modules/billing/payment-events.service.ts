import type { JobHandler } from '../../jobs/worker.js';
import { BillingRepository } from './billing.repository.js';
import { scheduleExpiry } from './expiry.js';
import type { PaymentEvent, PaymentProviderName, WalletProvider } from './payment-ports.js';
import { PaymentsRepository } from './payments.repository.js';
import { writeTrace } from '../trace/trace.service.js';

/** Not applicable yet (a refund before its payment): the job comes back later. */
class NotYet extends Error {}

export interface PaymentEventsDeps {
  repo: PaymentsRepository;
  /** Reads a stored delivery of each provider into what it means (src/integrations/…). */
  parse: Record<PaymentProviderName, (body: string) => PaymentEvent>;
  paypal?: WalletProvider | undefined;
  nudge?: () => void;
}

/**
 * Applies the providers' events, each exactly once, whatever the number and order of deliveries
 * (docs/billing.md, Payments). The webhook routes only store deliveries; the `payments.webhook` job
 * verifies a PayPal delivery with PayPal (an upstream call, so never inside the webhook), reads it and
 * applies it in one transaction: a pack's units through billing_credit, a refund or dispute through
 * billing_refund (both keyed by the provider's event id), anything else after billing_claim_event.
 */
export class PaymentEventsService {
  constructor(private readonly d: PaymentEventsDeps) {}

  webhookJob(): JobHandler {
    return {
      run: async (job, log) => {
        const id = Number((job.payload as { webhookId?: unknown }).webhookId);
        const w = await this.d.repo.webhooks.get(id);
        if (!w || w.state !== 'received') return { kind: 'done' };
        if (w.provider === 'paypal') {
          if (!this.d.paypal) return { kind: 'dead', error: 'PayPal is not configured' };
          const ok = await this.d.paypal.verifyWebhook(w.headers, w.body);
          if (!ok) {
            log.warn({ webhook: w.id, type: w.event_type }, 'PayPal webhook failed verification: ignored.');
            await this.d.repo.webhooks.finish(w.id, 'rejected', 'verification FAILURE');
            return { kind: 'done' };
          }
        }
        let event: PaymentEvent;
        try {
          event = this.d.parse[w.provider](w.body);
        } catch (err) {
          await this.d.repo.webhooks.finish(
            w.id,
            'ignored',
            `unreadable: ${(err as Error).message.slice(0, 200)}`,
          );
          return { kind: 'done' };
        }
        try {
          const note = await this.apply(w.provider, w.event_id, w.event_type, event, w.id);
          if (note) log.info({ webhook: w.id, type: w.event_type, note }, 'Payment event applied.');
          return { kind: 'done' };
        } catch (err) {
          if (err instanceof NotYet) return { kind: 'retry', error: err.message, delayMs: 2_000 };
          throw err;
        }
      },
    };
  }

  /**
   * payments.capture: captures an approved PayPal order (reference §2.4) and credits it at once when
   * the capture completed (PAYMENT.CAPTURE.COMPLETED later finds the order credited). Not approved
   * yet: nothing to do (the approval event or the payer's return queues another).
   */
  captureJob(): JobHandler {
    return {
      run: async (job, log) => {
        const orderId = Number((job.payload as { orderId?: unknown }).orderId);
        const order = await this.d.repo.order(orderId);
        if (!order || order.provider !== 'paypal' || order.status !== 'pending' || !order.provider_order_id) {
          return { kind: 'done' };
        }
        if (!this.d.paypal) return { kind: 'dead', error: 'PayPal is not configured' };
        const c = await this.d.paypal.capture(
          order.provider_order_id,
          `pp-capture:${order.provider_order_id}`,
        );
        if (c.state === 'completed') {
          const event: PaymentEvent = {
            kind: 'paid',
            orderId,
            paymentId: c.captureId,
            amountMinor: c.amountMinor,
            currency: c.currency,
          };
          const note = await this.apply('paypal', `capture:${c.captureId}`, 'capture', event, null);
          log.info({ order: orderId, note }, 'PayPal order captured.');
        } else if (c.state === 'declined') {
          await this.apply(
            'paypal',
            `capture-declined:${order.provider_order_id}`,
            'capture',
            { kind: 'failed', orderId, reason: c.reason },
            null,
          );
        }
        return { kind: 'done' };
      },
    };
  }

  /** Applies one event in one transaction; returns what it did. Throws NotYet to be tried later. */
  async apply(
    provider: PaymentProviderName,
    eventId: string,
    type: string,
    e: PaymentEvent,
    webhookId: number | null,
  ): Promise<string> {
    const note = await this.d.repo.transaction(async (tx) => {
      const done = async (state: 'applied' | 'ignored', n: string) => {
        if (webhookId !== null) await tx.webhooks.finish(webhookId, state, n);
        return n;
      };
      switch (e.kind) {
        case 'ignored':
          return done('ignored', e.why);
        case 'paid':
          return done('applied', await this.#paid(tx, provider, eventId, e));
        case 'failed':
        case 'cancelled': {
          const order = await tx.lockOrder(e.orderId);
          if (!order || order.provider !== provider) return done('ignored', 'unknown order');
          if (!(await tx.claimEvent(provider, eventId, type, order.portal_id, order.id))) {
            return done('ignored', 'duplicate event');
          }
          const to = e.kind === 'failed' ? 'failed' : 'expired';
          await tx.setStatus(order.id, to, ['pending']);
          return done('applied', `order ${order.id} ${to}`);
        }
        case 'approved': {
          const order = e.orderId
            ? await tx.order(e.orderId)
            : await tx.orderByProviderOrder(provider, e.providerOrderId);
          if (!order || order.status !== 'pending') return done('ignored', 'no pending order');
          await tx.queueCapture(order.portal_id, order.id, eventId);
          return done('applied', `capture of order ${order.id} queued`);
        }
        case 'receipt': {
          const pay = await tx.payment(provider, e.paymentId);
          if (!pay) throw new NotYet('receipt before its payment');
          await tx.setReceipt(provider, e.paymentId, e.receiptUrl);
          return done('applied', 'receipt');
        }
        case 'refunded':
        case 'disputed':
          return done('applied', await this.#reverse(tx, provider, eventId, e));
        case 'dispute_closed': {
          const pay = await tx.payment(provider, e.paymentId);
          if (!pay) return done('ignored', 'unknown payment');
          // Policy (docs/billing.md): a won dispute gives no units back by itself; the operator credits.
          return done('ignored', `dispute closed (${e.won ? 'won' : 'lost'})`);
        }
        case 'subscription_paid':
        case 'subscription_unpaid':
        case 'subscription_cancelled':
          return done('applied', await this.#subscription(tx, provider, eventId, type, e));
      }
    });
    this.d.nudge?.();
    return note;
  }

  async #paid(
    tx: PaymentsRepository,
    provider: PaymentProviderName,
    eventId: string,
    e: Extract<PaymentEvent, { kind: 'paid' }>,
  ) {
    const order = await tx.lockOrder(e.orderId);
    if (!order || order.provider !== provider) return 'unknown order';
    if (e.amountMinor < order.amount_minor || e.currency.toUpperCase() !== order.currency) {
      // Never credit more than was paid for: the order stays pending, the delivery says why
      // (payment_webhooks.note), an operator decides (docs/billing.md).
      return `amount mismatch: paid ${e.amountMinor} ${e.currency}, order ${order.amount_minor} ${order.currency}`;
    }
    if (e.paymentId) {
      await tx.upsertPayment({
        orderId: order.id,
        portalId: order.portal_id,
        provider,
        paymentId: e.paymentId,
        amountMinor: e.amountMinor,
        currency: order.currency,
        receiptUrl: e.receiptUrl ?? null,
      });
    }
    if (order.kind === 'pack') {
      const credit = await new BillingRepository(tx.db).credit({
        portalId: order.portal_id,
        units: order.units ?? 0,
        validityDays: order.validity_days ?? 0,
        orderId: order.id,
        provider,
        eventId,
      });
      if (credit.outcome === 'credited' && credit.expires_at) await scheduleExpiry(tx.db, credit.expires_at);
      await tx.setStatus(order.id, 'paid', ['pending', 'expired', 'failed', 'cancelled'], { paid: true });
      return `order ${order.id}: ${credit.outcome}`;
    }
    if (!(await tx.claimEvent(provider, eventId, 'paid', order.portal_id, order.id))) {
      return 'duplicate event';
    }
    await tx.setSubscription(order.id, e.subscriptionId ?? null, e.customerId ?? null);
    await tx.setStatus(order.id, 'paid', ['pending', 'expired', 'failed', 'cancelled'], { paid: true });
    if (order.channel_id) await this.#resume(tx, order.channel_id);
    return `subscription order ${order.id} paid`;
  }

  async #reverse(
    tx: PaymentsRepository,
    provider: PaymentProviderName,
    eventId: string,
    e: Extract<PaymentEvent, { kind: 'refunded' | 'disputed' }>,
  ) {
    const pay = await tx.payment(provider, e.paymentId);
    if (!pay) throw new NotYet(`${e.kind} before its payment`);
    const order = await tx.lockOrder(pay.order_id);
    if (!order) return 'unknown order';
    let total = pay.amount_minor;
    if (e.kind === 'refunded') {
      total = e.refund
        ? await tx.addRefund(provider, e.refund.id, pay.id, e.refund.amountMinor)
        : Math.max(pay.refunded_minor, e.totalRefundedMinor ?? 0);
      total = Math.min(total, pay.amount_minor);
    }
    const full = total >= pay.amount_minor;
    const paymentStatus = e.kind === 'disputed' ? 'disputed' : full ? 'refunded' : 'partially_refunded';
    await tx.setRefunded(pay.id, total, paymentStatus);
    if (order.kind !== 'pack') {
      if (!(await tx.claimEvent(provider, eventId, e.kind, order.portal_id, order.id))) {
        return 'duplicate event';
      }
      await tx.setStatus(
        order.id,
        e.kind === 'disputed' ? 'disputed' : full ? 'refunded' : 'partially_refunded',
        ['paid', 'partially_refunded'],
      );
      return `subscription order ${order.id} ${e.kind}`;
    }
    // Units to have taken back so far: the pack's share of the money returned (a dispute: all).
    const units =
      e.kind === 'disputed' ? null : Math.floor(((order.units ?? 0) * total) / Math.max(1, pay.amount_minor));
    if (units === 0) return `order ${order.id}: refund below one unit`;
    const r = await new BillingRepository(tx.db).refund({ orderId: order.id, units, provider, eventId });
    const status = e.kind === 'disputed' ? 'disputed' : full ? 'refunded' : 'partially_refunded';
    await tx.setStatus(order.id, status, ['paid', 'partially_refunded', 'refunded', 'disputed']);
    return `order ${order.id}: ${r.outcome}, ${r.reversed} units (debt ${r.debt_added})`;
  }

  async #subscription(
    tx: PaymentsRepository,
    provider: PaymentProviderName,
    eventId: string,
    type: string,
    e: Extract<
      PaymentEvent,
      { kind: 'subscription_paid' | 'subscription_unpaid' | 'subscription_cancelled' }
    >,
  ) {
    const order =
      (e.orderId ? await tx.order(e.orderId) : undefined) ??
      (await tx.orderBySubscription(provider, e.subscriptionId));
    if (!order || order.kind !== 'subscription' || !order.channel_id) {
      throw new NotYet('subscription event before its checkout');
    }
    if (!(await tx.claimEvent(provider, eventId, type, order.portal_id, order.id))) return 'duplicate event';
    await tx.setSubscription(order.id, e.subscriptionId, null);
    // Stripe delivers in any order: an event made before the latest one applied is late. A late
    // `paid` still extends paid_until (it only ever grows); a late event changes no status.
    const latest = e.createdAt ? await tx.channels.noteSubscriptionEvent(order.id, e.createdAt) : null;
    const late = latest !== null && e.createdAt != null && e.createdAt < latest;
    if (e.kind === 'subscription_paid') {
      await tx.channels.extendChannel(order.channel_id, e.periodEnd);
      if (!late) await this.#resume(tx, order.channel_id);
      return `channel ${order.channel_id} paid until ${e.periodEnd.toISOString()}${late ? ' (late event)' : ''}`;
    }
    if (late) return `channel ${order.channel_id}: ${e.kind} made before the latest event applied, no change`;
    const reason = e.kind === 'subscription_unpaid' ? 'subscription_unpaid' : 'subscription_cancelled';
    const portalId = await tx.channels.interruptChannel(order.channel_id, reason);
    if (portalId !== undefined) {
      await writeTrace(tx.db, {
        portalId,
        channelId: order.channel_id,
        step: 'channel_interrupted',
        level: 'ERROR',
        code: reason,
      });
    }
    return `channel ${order.channel_id} ${reason}`;
  }

  async #resume(tx: PaymentsRepository, channelId: string) {
    const portalId = await tx.channels.resumeChannel(channelId);
    if (portalId !== undefined) await writeTrace(tx.db, { portalId, channelId, step: 'channel_recovered' });
  }
}
