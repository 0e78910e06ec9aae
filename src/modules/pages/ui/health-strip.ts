import { h } from './dom.js';
import { boot, T } from './page.js';
import type { ChannelHealth } from './types.js';

/**
 * The health strip under a channel's row: Bitrix24 token, connector on the line, Gupshup key, last
 * webhook and wallet, each a coloured dot with its name, and a tooltip (also read on focus) that says
 * what the state means and what to do.
 */

type Tone = 'g' | 'r' | 'a' | '';
type HealthKey = Parameters<typeof T>[0] & `health.${string}`;

/** Gupshup mails a low-balance warning at 5 USD (reference gupshup.md §5.2): the strip warns there too. */
const LOW_BALANCE = 5;

function indicator(name: string, label: string, tone: Tone, tip: HealthKey): HTMLSpanElement {
  const state = tone === 'g' ? 'ok' : tone === 'r' ? 'bad' : tone === 'a' ? 'warn' : 'unknown';
  return h(
    'span',
    { class: 'hi', tabindex: 0, title: T(tip), 'data-indicator': name, 'data-state': state },
    h('span', { class: 'dot' + (tone ? ' ' + tone : ''), 'aria-hidden': 'true' }),
    label,
  );
}

const tone = (v: boolean | null): Tone => (v === true ? 'g' : v === false ? 'r' : '');
const state = (v: boolean | null) => (v === true ? 'ok' : v === false ? 'bad' : 'unknown');

function gupshupTip(hs: ChannelHealth): HealthKey {
  if (hs.gupshupOk === true) return 'health.gupshup.ok';
  if (hs.gupshupOk === null) return 'health.gupshup.unknown';
  if (hs.gupshupError === 'unknown_app') return 'health.gupshup.unknown_app';
  return hs.gupshupError === 'unreachable' ? 'health.gupshup.unreachable' : 'health.gupshup.rejected';
}

function wallet(hs: ChannelHealth): HTMLSpanElement {
  const w = hs.wallet;
  if (!w) return indicator('wallet', `${T('health.wallet')}: ${T('health.na')}`, '', 'health.wallet.unknown');
  const money = new Intl.NumberFormat(boot.lang, { style: 'currency', currency: w.currency }).format(
    w.balance,
  );
  const label = `${T('health.wallet')}: ${money}`;
  if (w.balance <= 0) return indicator('wallet', label, 'r', 'health.wallet.empty');
  if (w.balance < LOW_BALANCE) return indicator('wallet', label, 'a', 'health.wallet.low');
  return indicator('wallet', label, 'g', 'health.wallet.ok');
}

function webhook(hs: ChannelHealth): HTMLSpanElement {
  if (!hs.lastWebhookAt) {
    return indicator('webhook', `${T('health.webhook')}: ${T('health.never')}`, '', 'health.webhook.never');
  }
  const at = new Date(hs.lastWebhookAt).toLocaleString(boot.lang, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  return indicator('webhook', `${T('health.webhook')}: ${at}`, 'g', 'health.webhook.ok');
}

export function healthStrip(hs: ChannelHealth | undefined): HTMLDivElement {
  if (!hs) return h('div', { class: 'health muted', text: T('health.title') + ': …' });
  return h(
    'div',
    { class: 'health', 'data-health': true },
    indicator('token', T('health.token'), tone(hs.tokenOk), `health.token.${state(hs.tokenOk)}`),
    indicator(
      'connector',
      T('health.connector'),
      tone(hs.connectorActive),
      `health.connector.${state(hs.connectorActive)}`,
    ),
    indicator('gupshup', T('health.gupshup'), tone(hs.gupshupOk), gupshupTip(hs)),
    webhook(hs),
    wallet(hs),
  );
}
