import { api } from './api.js';
import { usageSection } from './billing-usage.js';
import { fill, money, safeUrl } from './billing-format.js';
import type { Balance, Order, Pack, Provider } from './billing-types.js';
import { orderStatusText } from './codes.js';
import { clear, field, h, headRow, notice } from './dom.js';
import { boot, fmtDate, T, view } from './page.js';

/**
 * The Billing tab (issue 12): the balance with what expires soon, the packs on sale with a Buy
 * button (Stripe or PayPal: the checkout's page opens in the portal's window), the low-balance
 * warning, the orders with their receipts, the use per channel and day, and the CSV exports. Each
 * section loads on its own: one that fails says so in its place, the others still show.
 */

const SOON_DAYS = 30;
const DAY_MS = 86_400_000;

const section = (id: string, title: string) => h('section', { class: 'bill', id }, h('h2', { text: title }));

export async function billingTab(): Promise<void> {
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  const parts = {
    balance: section('bill-balance', T('bill.balance')),
    packs: section('bill-packs', T('bill.packs')),
    orders: section('bill-orders', T('bill.orders')),
    usage: section('bill-usage', T('bill.usage')),
    threshold: section('bill-threshold', T('bill.threshold')),
  };
  await Promise.all([
    balanceSection(parts.balance),
    packsSection(parts.packs),
    ordersSection(parts.orders),
    usageSection(parts.usage),
    thresholdSection(parts.threshold),
  ]);
  clear(view);
  Object.values(parts).forEach((p) => view.appendChild(p));
}

const failed = (key: Parameters<typeof T>[0], e: unknown) =>
  notice('error', fill(T(key), { error: e instanceof Error ? e.message : String(e) }));

async function balanceSection(el: HTMLElement): Promise<void> {
  let b: Balance;
  try {
    b = await api.balance();
  } catch (e) {
    el.appendChild(failed('bill.balanceFailed', e));
    return;
  }
  const figure = (key: string, label: string, n: number) =>
    h(
      'div',
      { class: 'figure', 'data-figure': key },
      h('strong', { text: n.toLocaleString(boot.lang) }),
      label,
    );
  el.appendChild(
    h(
      'div',
      { class: 'figures' },
      figure('available', T('bill.available'), b.available),
      figure('reserved', T('bill.reserved'), b.reserved),
      b.debt > 0 ? figure('debt', T('bill.debt'), b.debt) : null,
    ),
  );
  const until = Date.now() + SOON_DAYS * DAY_MS;
  const soon = b.lots.filter((l) => l.remaining > 0 && Date.parse(l.expiresAt) <= until);
  el.appendChild(h('h3', { text: T('bill.expiring') }));
  el.appendChild(
    soon.length
      ? h(
          'ul',
          { id: 'bill-expiring' },
          soon.map((l) =>
            h('li', {
              'data-lot': l.id,
              text: fill(T('bill.expiresOn'), {
                n: l.remaining.toLocaleString(boot.lang),
                date: fmtDate(l.expiresAt),
              }),
            }),
          ),
        )
      : h('p', { class: 'muted', text: T('bill.expiringNone') }),
  );
}

async function packsSection(el: HTMLElement): Promise<void> {
  let packs: Pack[];
  try {
    packs = (await api.offer()).packs;
  } catch (e) {
    el.appendChild(failed('bill.packsFailed', e));
    return;
  }
  if (!packs.length) {
    el.appendChild(h('p', { class: 'muted', text: T('bill.packsEmpty') }));
    return;
  }
  const msg = h('div', { id: 'bill-checkout-msg' });
  const provider = (value: Provider, label: string) =>
    h(
      'label',
      { class: 'radio' },
      h('input', { type: 'radio', name: 'provider', value, checked: value === 'stripe' }),
      label,
    );
  const chosen = (): Provider =>
    el.querySelector<HTMLInputElement>('input[name=provider]:checked')?.value === 'paypal'
      ? 'paypal'
      : 'stripe';
  el.appendChild(
    h(
      'fieldset',
      { class: 'providers' },
      h('legend', { text: T('bill.payWith') }),
      provider('stripe', 'Stripe'),
      provider('paypal', 'PayPal'),
    ),
  );
  el.appendChild(msg);
  el.appendChild(
    h(
      'div',
      { class: 'packs' },
      packs.map((p) => {
        const buy = h('button', {
          type: 'button',
          class: 'btn primary',
          'data-buy': p.id,
          text: T('bill.buy'),
        });
        buy.onclick = () => void checkout(p, chosen(), buy, msg);
        return h(
          'div',
          { class: 'pack', 'data-pack': p.id },
          h('h3', { text: p.name }),
          h('p', { class: 'price', text: money(p.priceMinor, p.currency) }),
          h('p', { text: fill(T('bill.packMessages'), { n: p.messages.toLocaleString(boot.lang) }) }),
          h('p', { class: 'muted', text: fill(T('bill.packValidity'), { n: p.validityDays }) }),
          buy,
        );
      }),
    ),
  );
}

/** Starts the provider's checkout and sends the portal's window (the top one) to its page. */
async function checkout(
  p: Pack,
  provider: Provider,
  btn: HTMLButtonElement,
  msg: HTMLElement,
): Promise<void> {
  btn.disabled = true;
  clear(msg).appendChild(notice('info', T('bill.redirecting')));
  try {
    const started = await api.checkout(p.id, provider);
    const url = safeUrl(started.redirectUrl);
    if (!url) throw new Error('no payment page address');
    try {
      (window.top ?? window).location.href = url;
    } catch {
      // A portal that does not let its frame move it: the admin follows the link himself.
      clear(msg).appendChild(
        h('a', { class: 'btn primary', href: url, target: '_top', text: T('bill.continuePayment') }),
      );
    }
  } catch (e) {
    clear(msg).appendChild(failed('bill.checkoutFailed', e));
  } finally {
    btn.disabled = false;
  }
}

async function thresholdSection(el: HTMLElement): Promise<void> {
  const input = h('input', {
    type: 'number',
    min: 0,
    step: 1,
    name: 'lowBalanceThreshold',
    inputmode: 'numeric',
  });
  const save = h('button', {
    type: 'button',
    class: 'btn primary',
    id: 'bill-threshold-save',
    text: T('common.save'),
  });
  const msg = h('div', { id: 'bill-threshold-msg' });
  el.appendChild(h('p', { class: 'muted', text: T('bill.thresholdHelp') }));
  el.appendChild(h('div', { class: 'toolbar' }, field(T('bill.thresholdLabel'), input), save));
  el.appendChild(msg);
  try {
    const s = await api.billingSettings();
    input.value = s.lowBalanceThreshold === null ? '' : String(s.lowBalanceThreshold);
  } catch (e) {
    msg.appendChild(failed('bill.thresholdLoadFailed', e));
  }
  save.onclick = async () => {
    clear(msg);
    const raw = input.value.trim();
    const value = raw === '' ? null : Number(raw);
    if (value !== null && !(Number.isSafeInteger(value) && value >= 0)) {
      msg.appendChild(notice('error', T('bill.thresholdBad')));
      return;
    }
    save.disabled = true;
    try {
      await api.setBillingSettings({ lowBalanceThreshold: value });
      msg.appendChild(notice('ok', T('common.saved')));
    } catch (e) {
      msg.appendChild(failed('bill.thresholdSaveFailed', e));
    } finally {
      save.disabled = false;
    }
  };
}

async function ordersSection(el: HTMLElement): Promise<void> {
  let orders: Order[];
  try {
    orders = (await api.orders()).orders;
  } catch (e) {
    el.appendChild(failed('bill.ordersFailed', e));
    return;
  }
  if (!orders.length) {
    el.appendChild(h('p', { class: 'muted', text: T('bill.ordersEmpty') }));
    return;
  }
  el.appendChild(
    h(
      'table',
      { id: 'bill-orders-table' },
      headRow([
        T('bill.orderDate'),
        T('bill.orderWhat'),
        T('bill.orderProvider'),
        T('bill.orderStatus'),
        T('bill.orderAmount'),
        T('bill.orderUnits'),
        T('bill.orderPaid'),
        '',
      ]),
      h(
        'tbody',
        {},
        orders.map((o) => {
          const receipt = safeUrl(o.receiptUrl);
          return h(
            'tr',
            { 'data-order': String(o.id) },
            h('td', { class: 'nowrap', text: fmtDate(o.createdAt) }),
            h('td', { text: o.description ?? o.kind }),
            h('td', {
              text: o.provider === 'paypal' ? 'PayPal' : o.provider === 'stripe' ? 'Stripe' : o.provider,
            }),
            h('td', {}, h('span', { class: 'badge ' + o.status, text: orderStatusText(o.status) })),
            h('td', { class: 'nowrap', text: money(o.amount, o.currency) }),
            h('td', { text: o.units === null ? T('common.none') : o.units.toLocaleString(boot.lang) }),
            h('td', { class: 'nowrap', text: o.paidAt ? fmtDate(o.paidAt) : T('common.none') }),
            h(
              'td',
              { class: 'actions' },
              receipt
                ? h('a', {
                    href: receipt,
                    target: '_blank',
                    rel: 'noopener noreferrer',
                    text: T('bill.receipt'),
                  })
                : null,
            ),
          );
        }),
      ),
    ),
  );
}
