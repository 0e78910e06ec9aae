import { api } from './api.js';
import { clear, copyBox, field, h, headRow, notice, select, type Option } from './dom.js';
import { boot, fmtDate, T, view } from './page.js';
import { channelLabel, showError, state } from './state.js';
import type { ApiToken, ChannelSettings, Items, PortalPlan } from './types.js';

/** The Settings tab: what Gupshup says of a channel, the portal's Bitrix24 plan, the API tokens. */

let settingsChannel = '';

export async function settingsTab(): Promise<void> {
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  if (!boot.admin) {
    clear(view).appendChild(notice('info', T('common.adminOnly')));
    return;
  }
  let tokens: Items<ApiToken>;
  let portal: PortalPlan;
  try {
    let channels;
    [channels, tokens, portal] = await Promise.all([api.channels(), api.tokens(), api.portal()]);
    state.channels = channels.items;
  } catch (e) {
    showError(e as Error);
    return;
  }
  clear(view);
  channelSettings();
  planSection(portal);
  tokensSection(tokens.items);
}

function channelSettings(): void {
  const info = h('dl', { class: 'grid2', id: 'channel-settings' });
  const first = state.channels[0];
  if (!first) {
    view.appendChild(notice('info', T('ch.empty')));
    return;
  }
  if (!state.channels.some((c) => c.id === settingsChannel)) settingsChannel = first.id;
  const options = state.channels.map((c): Option => [c.id, channelLabel(c)]);
  const sel = select('channel', options, settingsChannel);
  sel.onchange = () => {
    settingsChannel = sel.value;
    loadInfo(info);
  };
  view.appendChild(h('div', { class: 'toolbar' }, field(T('set.channel'), sel)));
  view.appendChild(info);
  loadInfo(info);
}

function loadInfo(info: HTMLElement): void {
  clear(info).appendChild(h('dd', { class: 'muted', text: T('common.loading') }));
  api
    .settings(settingsChannel)
    .then((s) => {
      clear(info);
      for (const [k, v] of infoRows(s)) {
        info.appendChild(h('dt', { text: k }));
        info.appendChild(h('dd', { text: v }));
      }
    })
    .catch((e: Error) => clear(info).appendChild(notice('error', e.message)));
}

function infoRows(s: ChannelSettings): Array<[string, string]> {
  const na = T('common.notAvailable');
  return [
    [T('set.appName'), s.appName],
    [T('set.appId'), s.appId || T('common.none')],
    [T('set.mode'), s.mode === 'sandbox' ? T('set.sandbox') : T('set.live')],
    [T('set.waba'), s.wabaId || T('common.none')],
    [T('set.tier'), s.messagingTier || na],
    [T('set.quality'), s.phoneQuality || na],
    [T('set.wallet'), s.wallet ? s.wallet.balance.toFixed(2) + ' ' + s.wallet.currency : na],
  ];
}

function planSection(portal: PortalPlan): void {
  view.appendChild(h('h2', { text: T('set.plan'), style: 'margin-top:22px' }));
  view.appendChild(h('p', { class: 'muted', text: T('set.planHelp') }));
  const plans: Option[] = [
    ['standard', T('set.planStandard')],
    ['enterprise', T('set.planEnterprise')],
  ];
  const plan = select('plan', plans, portal.plan);
  const out = h('span', { class: 'muted', id: 'plan-status' });
  const save = h('button', { type: 'button', class: 'btn primary', id: 'plan-save', text: T('common.save') });
  save.onclick = () => {
    api
      .setPlan(plan.value)
      .then(() => {
        out.textContent = T('set.saved');
      })
      .catch((e: Error) => clear(out).appendChild(notice('error', e.message)));
  };
  view.appendChild(h('div', { class: 'toolbar' }, field(T('set.plan'), plan), save, out));
}

function tokensSection(items: ApiToken[]): void {
  view.appendChild(h('h2', { text: T('set.tokens'), style: 'margin-top:22px' }));
  view.appendChild(h('p', { class: 'muted', text: T('set.tokensHelp') }));
  const out = h('div');
  const label = h('input', { type: 'text', name: 'label', placeholder: T('set.tokenLabel'), maxlength: 100 });
  const tbody = h('tbody');
  const reload = () => api.tokens().then((r) => renderTokens(tbody, r.items, reload));
  const create = h('button', {
    type: 'button',
    class: 'btn primary',
    id: 'token-create',
    text: T('set.tokenCreate'),
  });
  create.onclick = () => {
    // A token is made with the page's own frontend auth (POST /tokens checks it with the portal).
    const body: Record<string, string> = {};
    new URLSearchParams(boot.auth).forEach((v, k) => (body[k] = v));
    if (label.value) body.label = label.value;
    api
      .createToken(body)
      .then((r) => {
        clear(out).appendChild(
          h('div', { class: 'notice ok' }, h('div', { text: T('set.tokenNew') }), copyBox(r.token)),
        );
        label.value = '';
        return reload();
      })
      .catch((e: Error) => clear(out).appendChild(notice('error', e.message)));
  };
  view.appendChild(h('div', { class: 'toolbar' }, field(T('set.tokenLabel'), label), create));
  view.appendChild(out);
  const titles = ['', T('set.tokenLabel'), T('set.created'), T('set.lastUsed'), ''];
  view.appendChild(h('table', { id: 'tokens' }, headRow(titles), tbody));
  renderTokens(tbody, items, reload);
}

function renderTokens(tbody: HTMLTableSectionElement, items: ApiToken[], reload: () => Promise<void>): void {
  clear(tbody);
  for (const t of items) {
    const revoke = h('button', {
      type: 'button',
      class: 'btn small danger',
      text: T('set.tokenRevoke'),
      onclick: () => void api.revokeToken(t.id).then(reload),
    });
    tbody.appendChild(
      h(
        'tr',
        { 'data-token': t.id },
        h('td', {}, h('code', { text: t.prefix + '…' })),
        h('td', { text: t.label || T('common.none') }),
        h('td', { text: fmtDate(t.createdAt, true) }),
        h('td', { text: t.lastUsedAt ? fmtDate(t.lastUsedAt, true) : T('common.none') }),
        h(
          'td',
          {},
          t.revokedAt ? h('span', { class: 'badge expired', text: T('set.tokenRevoked') }) : revoke,
        ),
      ),
    );
  }
}
