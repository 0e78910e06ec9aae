import { minorDigits, money } from './billing-format.js';
import type { OperatorPack, SubscriptionPrice } from './billing-types.js';
import { clear, field, h, headRow, notice, select } from './dom.js';
import { operatorCall, OperatorError, operatorFailure, setOperatorToken } from './operator-api.js';
import { notificationsSection } from './operator-notifications.js';
import { T, view } from './page.js';

/**
 * The vendor's operator page (issues 12 and 13): the message packs and the channel subscription
 * prices (/api/v1/operator/billing), and the portals' notifications limits (operator-notifications.ts).
 */

const MONTHS = [1, 3, 6, 12];
const call = <T>(method: string, path: string, body?: unknown) =>
  operatorCall<T>(method, '/billing' + path, body);
const failure = operatorFailure;

export function operatorPage(): void {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', id: 'op-token' });
  const go = h('button', { type: 'submit', class: 'btn primary', text: T('op.signIn') });
  const msg = h('div', { id: 'op-msg' });
  const form = h('form', { class: 'toolbar', id: 'op-signin' }, field(T('op.token'), input), go);
  form.onsubmit = (e) => {
    e.preventDefault();
    setOperatorToken(input.value.trim());
    input.value = '';
    void load(msg);
  };
  clear(view).append(form, h('p', { class: 'muted', text: T('op.tokenHelp') }), msg);
  document.body.setAttribute('data-ready', 'operator');
}

async function load(msg: HTMLElement): Promise<void> {
  clear(msg);
  let packs: OperatorPack[];
  let prices: SubscriptionPrice[];
  try {
    [packs, prices] = await Promise.all([
      call<{ items: OperatorPack[] }>('GET', '/packs').then((r) => r.items),
      call<{ items: SubscriptionPrice[] }>('GET', '/subscription-prices').then((r) => r.items),
    ]);
  } catch (e) {
    setOperatorToken('');
    msg.appendChild(
      e instanceof OperatorError && e.status === 401
        ? notice('error', e.message)
        : failure('op.loadFailed', e),
    );
    return;
  }
  const out = h('button', { type: 'button', class: 'btn', id: 'op-signout', text: T('op.signOut') });
  out.onclick = () => {
    setOperatorToken('');
    operatorPage();
  };
  clear(view).append(
    h('div', { class: 'toolbar' }, out),
    msg,
    packsTable(packs, msg),
    pricesTable(prices, msg),
    notificationsSection(),
  );
  document.body.setAttribute('data-ready', 'operator-offer');
}

/** "15.50" in a currency's major unit → 1550 minor units; null when it is not an amount above 0. */
function toMinor(text: string, currency: string): number | null {
  const t = text.trim().replace(',', '.');
  const d = minorDigits(currency);
  if (!/^\d+(\.\d+)?$/.test(t) || (t.split('.')[1]?.length ?? 0) > d) return null;
  const n = Math.round(Number(t) * 10 ** d);
  return n > 0 ? n : null;
}
const toMajor = (minor: number, currency: string) =>
  (minor / 10 ** minorDigits(currency)).toFixed(minorDigits(currency));

function packRow(p: OperatorPack | null, msg: HTMLElement): HTMLTableRowElement {
  const currency = p?.currency ?? 'USD';
  const f = {
    name: h('input', { type: 'text', name: 'name', value: p?.name ?? '' }),
    messages: h('input', { type: 'number', name: 'messages', min: 1, step: 1, value: p?.messages ?? '' }),
    price: h('input', {
      type: 'text',
      name: 'price',
      inputmode: 'decimal',
      value: p ? toMajor(p.priceMinor, currency) : '',
    }),
    currency: h('input', { type: 'text', name: 'currency', maxlength: 3, size: 4, value: currency }),
    validity: h('input', {
      type: 'number',
      name: 'validityDays',
      min: 1,
      step: 1,
      value: p?.validityDays ?? 90,
    }),
    active: h('input', { type: 'checkbox', name: 'active', checked: p?.active ?? true }),
  };
  const save = h('button', {
    type: 'button',
    class: 'btn small primary',
    text: p ? T('common.save') : T('op.newPack'),
  });
  save.onclick = async () => {
    clear(msg);
    const priceMinor = toMinor(f.price.value, f.currency.value.toUpperCase());
    if (priceMinor === null) {
      msg.appendChild(notice('error', T('op.badPrice')));
      return;
    }
    const body = {
      name: f.name.value,
      messages: Number(f.messages.value),
      priceMinor,
      currency: f.currency.value,
      validityDays: Number(f.validity.value),
      active: f.active.checked,
    };
    try {
      const saved = p
        ? await call<OperatorPack>('PATCH', `/packs/${p.id}`, body)
        : await call<OperatorPack>('POST', '/packs', body);
      await load(msg);
      msg.appendChild(
        notice('ok', `${T('op.saved')} ${saved.name}: ${money(saved.priceMinor, saved.currency)}`),
      );
    } catch (e) {
      msg.appendChild(failure('op.failed', e));
    }
  };
  return h(
    'tr',
    { 'data-pack': p ? p.id : 'new' },
    Object.values(f).map((i) => h('td', {}, i)),
    h('td', { class: 'actions' }, save),
  );
}

function packsTable(packs: OperatorPack[], msg: HTMLElement): HTMLElement {
  return h(
    'section',
    { class: 'bill', id: 'op-packs' },
    h('h2', { text: T('op.packs') }),
    h(
      'table',
      {},
      headRow([
        T('op.name'),
        T('op.messages'),
        T('op.price'),
        T('op.currency'),
        T('op.validity'),
        T('op.active'),
        '',
      ]),
      h(
        'tbody',
        {},
        packs.map((p) => packRow(p, msg)),
        packRow(null, msg),
      ),
    ),
  );
}

function pricesTable(prices: SubscriptionPrice[], msg: HTMLElement): HTMLElement {
  const tbody = h('tbody');
  const row = (p: SubscriptionPrice | null) =>
    h(
      'tr',
      { 'data-price': '' },
      h(
        'td',
        {},
        h('input', { type: 'text', name: 'currency', maxlength: 3, size: 4, value: p?.currency ?? 'USD' }),
      ),
      h(
        'td',
        {},
        select(
          'months',
          MONTHS.map((m) => [m, String(m)]),
          p?.months ?? 1,
        ),
      ),
      h(
        'td',
        {},
        h('input', {
          type: 'text',
          name: 'price',
          inputmode: 'decimal',
          value: p ? toMajor(p.priceMinor, p.currency) : '',
        }),
      ),
    );
  prices.forEach((p) => tbody.appendChild(row(p)));
  if (!prices.length) tbody.appendChild(row(null));
  const add = h('button', { type: 'button', class: 'btn', id: 'op-add-price', text: T('op.addPrice') });
  add.onclick = () => tbody.appendChild(row(null));
  const save = h('button', {
    type: 'button',
    class: 'btn primary',
    id: 'op-save-prices',
    text: T('op.savePrices'),
  });
  save.onclick = async () => {
    clear(msg);
    const list: SubscriptionPrice[] = [];
    for (const tr of tbody.querySelectorAll('tr')) {
      const value = (n: string) =>
        tr.querySelector<HTMLInputElement | HTMLSelectElement>(`[name=${n}]`)?.value ?? '';
      const currency = value('currency').toUpperCase();
      const priceMinor = toMinor(value('price'), currency);
      if (priceMinor === null) {
        msg.appendChild(notice('error', T('op.badPrice')));
        return;
      }
      list.push({ currency, months: Number(value('months')), priceMinor });
    }
    try {
      await call('PUT', '/subscription-prices', { prices: list });
      await load(msg);
      msg.appendChild(notice('ok', T('op.saved')));
    } catch (e) {
      msg.appendChild(failure('op.failed', e));
    }
  };
  return h(
    'section',
    { class: 'bill', id: 'op-prices' },
    h('h2', { text: T('op.subscription') }),
    h('table', {}, headRow([T('op.currency'), T('op.months'), T('op.price')]), tbody),
    h('div', { class: 'toolbar' }, add, save),
  );
}
