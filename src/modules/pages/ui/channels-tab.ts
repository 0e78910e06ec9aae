import { api } from './api.js';
import {
  activateDialog,
  connectDialog,
  deactivateDialog,
  editDialog,
  requestDialog,
} from './channel-dialogs.js';
import { confirmBox } from './dialog.js';
import { clear, field, h, headRow, notice, select, type Option } from './dom.js';
import { boot, fmtDate, T, view } from './page.js';
import { lineName, loadChannels, loadLines, showError, state } from './state.js';
import type { ChannelDetails, ChannelHealth, ChannelStatus, NumberRequest } from './types.js';

/** The Channels tab: the portal's channels and pending number requests, with their health. */

const STATUSES: ChannelStatus[] = ['active', 'interrupted', 'inactive', 'pending'];
const filter = { status: '', line: '' };
const reload = () => void channelsTab();

export async function channelsTab(): Promise<void> {
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  try {
    await Promise.all([
      loadLines(),
      loadChannels(),
      boot.admin ? api.numberRequests().then((r) => (state.requests = r.items)) : null,
    ]);
  } catch (e) {
    showError(e as Error);
    return;
  }
  clear(view);
  if (!boot.admin) view.appendChild(notice('info', T('common.adminOnly')));
  const tbody = h('tbody');
  const empty = h('p', { class: 'muted center', text: T('ch.empty') });
  const render = () => renderRows(tbody, empty);
  view.appendChild(toolbar(render));
  const titles = [
    'ch.name',
    'ch.number',
    'ch.line',
    'ch.status',
    'ch.paidUntil',
    'ch.health',
    'ch.active',
  ] as const;
  view.appendChild(h('table', { id: 'channels' }, headRow([...titles.map((k) => T(k)), '']), tbody));
  view.appendChild(empty);
  render();
  api
    .health()
    .then((r) => {
      for (const x of r.items) state.health[x.channelId] = x;
      render();
    })
    .catch(() => undefined);
}

function toolbar(render: () => void): HTMLDivElement {
  const all: Option = ['', T('common.all')];
  const stSel = select('status', [all, ...STATUSES.map((s): Option => [s, T(`status.${s}`)])], filter.status);
  const lnSel = select('line', [all, ...state.lines.map((l): Option => [l.id, l.name])], filter.line);
  stSel.onchange = () => {
    filter.status = stSel.value;
    render();
  };
  lnSel.onchange = () => {
    filter.line = lnSel.value;
    render();
  };
  const adminButton = (id: string, cls: string, text: string, open: () => void) =>
    boot.admin ? h('button', { type: 'button', class: cls, id, text, onclick: open }) : null;
  return h(
    'div',
    { class: 'toolbar' },
    field(T('ch.filterStatus'), stSel),
    field(T('ch.filterLine'), lnSel),
    h('div', { class: 'grow' }),
    adminButton('connect', 'btn primary', T('ch.connect'), () => connectDialog(reload)),
    adminButton('request', 'btn', T('ch.request'), () => requestDialog(reload)),
  );
}

function renderRows(tbody: HTMLTableSectionElement, empty: HTMLElement): void {
  clear(tbody);
  const rows = state.channels.filter(
    (c) =>
      (!filter.status || c.status === filter.status) && (!filter.line || String(c.lineId) === filter.line),
  );
  for (const c of rows) tbody.appendChild(channelRow(c));
  if (!filter.status || filter.status === 'pending') {
    for (const r of state.requests) {
      if (filter.line && String(r.lineId) !== filter.line) continue;
      tbody.appendChild(requestRow(r));
    }
  }
  empty.hidden = tbody.children.length > 0;
}

function channelRow(c: ChannelDetails): HTMLTableRowElement {
  const on = c.status === 'active' || c.status === 'interrupted';
  const sw = h('input', {
    type: 'checkbox',
    checked: on,
    disabled: !boot.admin,
    'aria-label': T('ch.active') + ' ' + c.name,
  });
  sw.onchange = () => {
    sw.checked = on;
    if (on) deactivateDialog(c, reload);
    else activateDialog(c, reload);
  };
  const reason =
    c.statusReason && c.status !== 'active' ? h('div', { class: 'muted', text: c.statusReason }) : null;
  return h(
    'tr',
    { 'data-channel': c.id },
    h(
      'td',
      {},
      h('div', { text: c.name }),
      c.companyName ? h('div', { class: 'muted', text: c.companyName }) : null,
    ),
    h('td', { text: '+' + c.sourceNumber }),
    h('td', { text: lineName(c.lineId) }),
    h('td', {}, h('span', { class: 'badge ' + c.status, text: T(`status.${c.status}`) }), reason),
    h(
      'td',
      {},
      h('div', { text: fmtDate(c.paidUntil) }),
      h('span', { class: 'badge ' + c.subscription, text: T(`ch.sub.${c.subscription}`) }),
    ),
    h('td', {}, healthStrip(state.health[c.id])),
    h('td', {}, h('label', { class: 'switch' }, sw, h('span'))),
    h('td', {}, ...rowActions(c)),
  );
}

function rowActions(c: ChannelDetails): Array<HTMLElement | string | null> {
  if (!boot.admin) return [null, ' ', null];
  const edit = h('button', {
    type: 'button',
    class: 'btn small',
    text: T('common.edit'),
    onclick: () => editDialog(c, reload),
  });
  const del = h('button', {
    type: 'button',
    class: 'btn small danger',
    text: T('common.delete'),
    onclick: () =>
      confirmBox(T('ch.deleteTitle'), T('ch.deleteText'), T('common.delete'), () =>
        api.remove(c.id).then(reload),
      ),
  });
  return [edit, ' ', del];
}

function requestRow(r: NumberRequest): HTMLTableRowElement {
  const cancel = h('button', {
    type: 'button',
    class: 'btn small danger',
    text: T('common.cancel'),
    onclick: () => void api.cancelRequest(r.id).then(reload),
  });
  return h(
    'tr',
    { 'data-request': r.id },
    h('td', {}, h('div', { text: r.companyName }), h('div', { class: 'muted', text: r.contactName })),
    h('td', { text: T('common.none') }),
    h('td', { text: lineName(r.lineId) }),
    h('td', {}, h('span', { class: 'badge requested', text: T('status.requested') })),
    h('td', { text: T('common.none') }),
    h('td'),
    h('td'),
    h('td', {}, cancel),
  );
}

function healthStrip(hs: ChannelHealth | undefined): HTMLDivElement {
  if (!hs) return h('div', { class: 'health muted', text: '…' });
  const yesNo = (v: boolean | null) =>
    v === true ? T('common.yes') : v === false ? T('common.no') : T('common.none');
  const dot = (v: boolean | null, label: string) =>
    h('span', {
      class: 'dot' + (v === true ? ' g' : v === false ? ' r' : ''),
      title: label,
      'aria-label': label + ': ' + yesNo(v),
    });
  const webhook = hs.lastWebhookAt ? fmtDate(hs.lastWebhookAt, true) : T('health.never');
  return h(
    'div',
    { class: 'health', 'data-health': true },
    h(
      'span',
      {},
      dot(hs.tokenOk, T('health.token')),
      dot(hs.connectorActive, T('health.connector')),
      dot(hs.gupshupOk, T('health.gupshup')),
    ),
    h('span', { title: T('health.webhook') }, T('health.webhook') + ': ' + webhook),
  );
}
