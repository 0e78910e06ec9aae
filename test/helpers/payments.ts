import { api, STACK_OPERATOR_TOKEN, waitFor, type Stack } from '../../scripts/stack.js';

/** Creates a pack through the operator API; its id. */
export async function operatorPack(
  s: Stack,
  p: { name?: string; messages?: number; priceMinor?: number; currency?: string; validityDays?: number } = {},
): Promise<number> {
  const r = await fetch(`${s.url}/api/v1/operator/billing/packs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${STACK_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: p.name ?? 'Pack 1000',
      messages: p.messages ?? 1000,
      priceMinor: p.priceMinor ?? 1500,
      currency: p.currency ?? 'USD',
      validityDays: p.validityDays ?? 90,
    }),
  });
  const body = (await r.json()) as { id: number };
  if (r.status !== 201) throw new Error(`pack creation answered ${r.status}`);
  return body.id;
}

export async function checkout(s: Stack, token: string, body: unknown, key?: string) {
  const r = await fetch(`${s.url}/api/v1/checkout`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return {
    status: r.status,
    body: (text ? JSON.parse(text) : null) as { orderId: number; redirectUrl: string },
  };
}

/** The payer on the provider's page: presses Pay (Stripe) or Pay Now (PayPal) and follows the redirect. */
export async function payOnPage(redirectUrl: string, action = 'pay'): Promise<Response> {
  const r = await fetch(redirectUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `action=${action === 'pay' && redirectUrl.includes('/checkoutnow') ? 'approve' : action}`,
    redirect: 'manual',
  });
  const to = r.headers.get('location');
  if (!to) throw new Error(`provider page answered ${r.status} without a redirect`);
  return fetch(to);
}

export async function balance(s: Stack, token: string) {
  return (await api<{ available: number; reserved: number; debt: number }>(s, token, 'GET', '/balance')).body;
}

export async function orderStatus(s: Stack, orderId: number): Promise<string> {
  const r = await s.deps.db
    .selectFrom('billing_orders')
    .select('status')
    .where('id', '=', orderId)
    .executeTakeFirst();
  return r?.status ?? 'none';
}

/** Waits until the order reached `status` and every delivery so far was answered. */
export async function untilOrder(s: Stack, orderId: number, status: string): Promise<void> {
  await waitFor(async () => (await orderStatus(s, orderId)) === status, 20_000, `order ${orderId} ${status}`);
}

/** Waits until every stored webhook has been handled by its job. */
export async function webhooksDone(s: Stack): Promise<void> {
  await s.pay.stripe.settled();
  await s.pay.paypal.settled();
  await waitFor(
    async () => {
      const open = await s.deps.db
        .selectFrom('payment_webhooks')
        .select('id')
        .where('state', '=', 'received')
        .execute();
      const jobs = await s.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('topic', 'in', ['payments.webhook', 'payments.capture'])
        .where('status', 'in', ['pending', 'running'])
        .execute();
      return open.length === 0 && jobs.length === 0;
    },
    20_000,
    'payment webhooks handled',
  );
}
