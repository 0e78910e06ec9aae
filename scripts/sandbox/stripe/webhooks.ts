import { createHmac, randomBytes } from 'node:crypto';

/**
 * Webhook delivery as Stripe does it (reference §1.4–§1.5): the event as JSON, signed with the
 * endpoint's secret: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. A
 * non-2xx answer is retried (Stripe: with backoff for up to 3 days; here a few times, quickly —
 * sandbox choice). Deliveries may be duplicated and reordered on request.
 */
export const API_VERSION = '2026-10-28.endive';

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  type: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  data: { object: Record<string, unknown> };
}

export interface Delivery {
  eventId: string;
  type: string;
  status: number | null;
  attempt: number;
}

export function newId(prefix: string): string {
  return `${prefix}_test_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

/** The header Stripe sends: `t=…,v1=…` over `<t>.<payload>`. */
export function signatureHeader(payload: string, secret: string, t = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}

export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  readonly events: StripeEvent[] = [];
  endpoint: string | undefined;
  #pending = new Set<Promise<void>>();

  constructor(
    readonly secret: string,
    private readonly o: { duplicate?: boolean; retryDelayMs?: number; maxAttempts?: number } = {},
  ) {}

  /** Builds the event, keeps it (GET /v1/events), and delivers it (twice when `duplicate`). */
  emit(type: string, object: Record<string, unknown>): StripeEvent {
    const event: StripeEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: Math.floor(Date.now() / 1000),
      type,
      livemode: false,
      pending_webhooks: this.endpoint ? 1 : 0,
      request: { id: null, idempotency_key: null },
      data: { object: structuredClone(object) },
    };
    this.events.push(event);
    const copies = this.o.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) this.#track(this.deliver(event));
    return event;
  }

  /** Sends one event (again): its body is serialised once and signed as sent. */
  async deliver(event: StripeEvent, attempt = 1): Promise<void> {
    if (!this.endpoint) return;
    const body = JSON.stringify(event, null, 2);
    let status: number | null = null;
    try {
      const r = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signatureHeader(body, this.secret),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body,
      });
      status = r.status;
      await r.arrayBuffer();
    } catch {
      status = null;
    }
    this.deliveries.push({ eventId: event.id, type: event.type, status, attempt });
    if ((status === null || status >= 300) && attempt < (this.o.maxAttempts ?? 5)) {
      await new Promise((r) => setTimeout(r, (this.o.retryDelayMs ?? 200) * attempt));
      await this.deliver(event, attempt + 1);
    }
  }

  #track(p: Promise<void>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Resolves when every delivery started so far has ended (answered or given up). */
  async settled(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }
}
