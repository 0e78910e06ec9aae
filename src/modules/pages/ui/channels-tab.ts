import { api } from './api.js';
import {
  activateDialog,
  connectDialog,
  deactivateDialog,
  editDialog,
  requestDialog,
} from './channel-dialogs.js';
import { reasonText } from './codes.js';
import { confirmBox } from './dialog.js';
import { clear, field, h, headRow, notice, select, type Option } from './dom.js';
import { healthStrip } from './health-strip.js';
import { boot, fmtDate, T, view } from './page.js';
import { lineName, loadChannels, loadLines, showError, state } from './state.js';
import type { ChannelDetails, ChannelStatus, NumberRequest } from './types.js';

/** The Channels tab: the portal's channels and pending number requests, with their health. */

const STATUSES: ChannelStatus[] = ['active', 'interrupted', 'inactive', 'pending'];
/** The table's columns: five titled ones and the row's buttons. */
const COLUMNS = 6;
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
  const titles = ['ch.channel', 'ch.line', 'ch.status', 'ch.paidUntil', 'ch.active'] as const;
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
    { class: 'toolbar one-row', id: 'channel-filters' },
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
  for (const c of rows) tbody.append(channelRow(c), healthRow(c));
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
    c.statusReason && c.status !== 'active'
      ? h('div', { class: 'muted reason', 'data-reason': c.statusReason, text: reasonText(c.statusReason) })
      : null;
  return h(
    'tr',
    { 'data-channel': c.id, class: 'has-health' },
    h(
      'td',
      {},
      h('div', { text: c.name }),
      h('div', { class: 'number', text: '+' + c.sourceNumber }),
      c.companyName ? h('div', { class: 'muted', text: c.companyName }) : null,
    ),
    h('td', { text: lineName(c.lineId) }),
    h('td', {}, h('span', { class: 'badge ' + c.status, text: T(`status.${c.status}`) }), reason),
    h(
      'td',
      {},
      h('div', { class: 'nowrap', text: fmtDate(c.paidUntil) }),
      h('span', { class: 'badge ' + c.subscription, text: T(`ch.sub.${c.subscription}`) }),
    ),
    h('td', {}, h('label', { class: 'switch' }, sw, h('span'))),
    h('td', { class: 'actions' }, ...rowActions(c)),
  );
}

/** The channel's health strip, on a row of its own under the channel's. */
function healthRow(c: ChannelDetails): HTMLTableRowElement {
  return h(
    'tr',
    { class: 'health-row', 'data-health-of': c.id },
    h('td', { colspan: COLUMNS }, healthStrip(state.health[c.id])),
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
    h('td', { text: lineName(r.lineId) }),
    h('td', {}, h('span', { class: 'badge requested', text: T('status.requested') })),
    h('td', { text: T('common.none') }),
    h('td'),
    h('td', { class: 'actions' }, cancel),
  );
}
