import { api } from './api.js';
import { codeText, levelText, messageStatusText, stepText } from './codes.js';
import { clear, field, h, headRow, notice, select, type Option } from './dom.js';
import { can, fmtDate, T, view } from './page.js';
import { loadChannels, state } from './state.js';
import type { Message, TraceStep } from './types.js';

/** The Message log tab: messages newest first, each with the steps of its relay; dead ones replayable. */

const STATUSES = ['received', 'queued', 'sent', 'delivered', 'read', 'failed', 'dead'];
/** The table's columns: seven titled ones and the Replay button. */
const COLUMNS = 8;
type FilterName = 'channelId' | 'direction' | 'status' | 'from' | 'to';
const filter: Record<FilterName, string> = { channelId: '', direction: '', status: '', from: '', to: '' };

interface Parts {
  msg: HTMLDivElement;
  tbody: HTMLTableSectionElement;
  more: HTMLButtonElement;
  empty: HTMLParagraphElement;
  cursor: number | null;
}

const directionText = (d: string) => (d === 'in' ? T('trace.in') : T('trace.out'));

export async function traceTab(): Promise<void> {
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  await loadChannels().catch(() => (state.channels = []));
  clear(view);
  const p: Parts = {
    msg: h('div'),
    tbody: h('tbody'),
    more: h('button', { type: 'button', class: 'btn', text: T('common.more') }),
    empty: h('p', { class: 'muted center', text: T('trace.empty') }),
    cursor: null,
  };
  view.appendChild(filters(p));
  view.appendChild(p.msg);
  const titles = [
    '#',
    T('trace.when'),
    T('trace.channel'),
    T('trace.direction'),
    T('trace.status'),
    T('trace.error'),
  ];
  view.appendChild(h('table', { id: 'trace' }, headRow([...titles, T('trace.history'), '']), p.tbody));
  view.appendChild(p.empty);
  view.appendChild(h('div', { class: 'toolbar', style: 'margin-top:12px' }, p.more));
  p.more.onclick = () => void load(p, false);
  await load(p, true);
}

function filters(p: Parts): HTMLDivElement {
  const all: Option = ['', T('common.all')];
  const f: Record<FilterName, HTMLInputElement | HTMLSelectElement> = {
    channelId: select(
      'channelId',
      [all, ...state.channels.map((c): Option => [c.id, c.name])],
      filter.channelId,
    ),
    direction: select('direction', [all, ['in', T('trace.in')], ['out', T('trace.out')]], filter.direction),
    status: select('status', [all, ...STATUSES.map((s): Option => [s, messageStatusText(s)])], filter.status),
    from: h('input', { type: 'date', name: 'from', value: filter.from }),
    to: h('input', { type: 'date', name: 'to', value: filter.to }),
  };
  for (const [k, el] of Object.entries(f) as Array<[FilterName, HTMLInputElement | HTMLSelectElement]>) {
    el.onchange = () => {
      filter[k] = el.value;
      void load(p, true);
    };
  }
  return h(
    'div',
    { class: 'toolbar one-row filters', id: 'trace-filters' },
    field(T('trace.channel'), f.channelId),
    field(T('trace.direction'), f.direction),
    field(T('trace.status'), f.status),
    field(T('trace.from'), f.from),
    field(T('trace.to'), f.to),
  );
}

async function load(p: Parts, reset: boolean): Promise<void> {
  if (reset) p.cursor = null;
  try {
    const r = await api.messages(filter, p.cursor);
    if (reset) clear(p.tbody);
    for (const m of r.items) p.tbody.append(...rows(p, m));
    p.cursor = r.nextCursor;
    p.more.hidden = !p.cursor;
    p.empty.hidden = p.tbody.children.length > 0;
  } catch (e) {
    clear(p.msg).appendChild(notice('error', (e as Error).message));
  }
}

function channelName(id: string | null): string {
  const c = state.channels.find((x) => x.id === id);
  return c ? c.name : (id ?? '').slice(0, 8);
}

/** One step of a message's history: when, level, what happened and why, then the raw detail. */
function historyLine(x: TraceStep): HTMLLIElement {
  const code = x.code ? ' (' + codeText(x.code) + ')' : '';
  return h(
    'li',
    { 'data-step': x.step },
    fmtDate(x.at, true) + ' · ' + levelText(x.level) + ' · ' + stepText(x.step) + code,
    x.detail ? h('span', { class: 'muted', text: ' — ' + x.detail }) : null,
  );
}

/** The message's error: the code in words, the provider's own words on hover. */
function errorCell(m: Message): HTMLTableCellElement {
  if (!m.error) return h('td');
  const text = m.error.code ? codeText(m.error.code) : (m.error.detail ?? '');
  return h('td', { 'data-code': m.error.code, title: m.error.detail, text });
}

/** The message's row, and under it its history across the whole table (shown on demand). */
function rows(p: Parts, m: Message): [HTMLTableRowElement, HTMLTableRowElement] {
  const hist = h(
    'tr',
    { class: 'hist-row', hidden: true },
    h('td', { colspan: COLUMNS }, h('ol', { class: 'hist' }, m.history.map(historyLine))),
  );
  const toggle = h('button', {
    type: 'button',
    class: 'btn small',
    text: T('trace.history') + ' (' + m.history.length + ')',
    onclick: () => {
      hist.hidden = !hist.hidden;
    },
  });
  const row = h(
    'tr',
    { 'data-message': m.id },
    h('td', { text: String(m.id) }),
    h('td', { text: fmtDate(m.createdAt, true) }),
    h('td', { text: channelName(m.channelId) }),
    h('td', { text: directionText(m.direction) }),
    h('td', {}, h('span', { class: 'badge ' + m.status, text: messageStatusText(m.status) })),
    errorCell(m),
    h('td', {}, toggle),
    h('td', {}, m.status === 'dead' && can?.replay ? replayButton(p, m) : null),
  );
  return [row, hist];
}

function replayButton(p: Parts, m: Message): HTMLButtonElement {
  const btn = h('button', { type: 'button', class: 'btn small primary', text: T('trace.replay') });
  btn.onclick = () => {
    btn.disabled = true;
    api
      .replay(m.id)
      .then(() => {
        clear(p.msg).appendChild(notice('ok', T('trace.replayed')));
        return load(p, true);
      })
      .catch((err: Error) => {
        clear(p.msg).appendChild(notice('error', err.message));
        btn.disabled = false;
      });
  };
  return btn;
}
