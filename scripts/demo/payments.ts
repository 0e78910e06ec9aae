/**
 * The demo's payments scene (issue 12): the vendor's operator puts a pack on sale; the portal's
 * billing admin buys it with the sandbox Stripe (the official SDK's Checkout Session, the hosted page,
 * the signed webhook) and another through the sandbox PayPal (Orders v2: approve, capture); each
 * webhook credits its pack once, and the balance is printed. Throws when a step does not happen.
 */
import { api, STACK_OPERATOR_TOKEN, waitFor, type Stack } from '../stack.js';

interface Say {
  say: (s?: string) => void;
  dim: (s: string) => string;
}

async function buy(s: Stack, token: string, packId: number, provider: 'stripe' | 'paypal'): Promise<number> {
  const c = await api<{ orderId: number; redirectUrl: string }>(s, token, 'POST', '/checkout', {
    kind: 'pack',
    packId,
    provider,
    returnPath: '/marketplace/app/whatsappb24/',
  });
  if (c.status !== 200) throw new Error(`checkout answered ${c.status}: ${JSON.stringify(c.body)}`);
  // The payer on the provider's page presses Pay, and comes back to our return page.
  const page = await fetch(c.body.redirectUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `action=${provider === 'paypal' ? 'approve' : 'pay'}`,
    redirect: 'manual',
  });
  const back = page.headers.get('location');
  if (!back) throw new Error(`the ${provider} page answered ${page.status}`);
  await (await fetch(back)).text();
  await waitFor(
    async () => {
      const o = await api<{ orders: Array<{ id: number; status: string }> }>(s, token, 'GET', '/orders');
      return o.body.orders.find((x) => x.id === c.body.orderId)?.status === 'paid';
    },
    20_000,
    `${provider} order ${c.body.orderId} credited`,
  );
  return c.body.orderId;
}

export async function paymentsScene(s: Stack, token: string, p: Say): Promise<void> {
  const { say, dim } = p;
  say();
  say('Payments: a billing admin buys message packs');
  const r = await fetch(`${s.url}/api/v1/operator/billing/packs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${STACK_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Pack 1000',
      messages: 1000,
      priceMinor: 1500,
      currency: 'USD',
      validityDays: 90,
    }),
  });
  const pack = (await r.json()) as { id: number };
  if (r.status !== 201) throw new Error(`pack creation answered ${r.status}`);
  say(dim('   operator: "Pack 1000" — 1000 messages, USD 15.00, valid 90 days'));
  const stripeOrder = await buy(s, token, pack.id, 'stripe');
  say(`   ✔ Stripe Checkout paid (order ${stripeOrder}); the signed webhook credited 1000 messages`);
  const paypalOrder = await buy(s, token, pack.id, 'paypal');
  say(`   ✔ PayPal order approved and captured (order ${paypalOrder}); credited 1000 messages`);
  // Every Stripe event delivered once more: applied once, the balance does not move.
  for (const e of s.pay.stripe.events()) await s.pay.stripe.redeliver(e.id);
  const b = await api<{ available: number; reserved: number; debt: number }>(s, token, 'GET', '/balance');
  if (b.body.available !== 2000) throw new Error(`balance ${JSON.stringify(b.body)}, expected 2000`);
  say(`   Balance: ${b.body.available} messages available, ${b.body.reserved} reserved, ${b.body.debt} owed`);
  const rec = await s.deps.ledger.reconcile();
  if (rec.length) throw new Error(`reconciliation: ${JSON.stringify(rec)}`);
  say(dim('   webhooks delivered again: applied once; reconciliation rows 0'));
}
