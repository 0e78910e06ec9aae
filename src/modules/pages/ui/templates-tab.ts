import { api, ApiError } from './api.js';
import { confirmBox } from './dialog.js';
import { clear, field, h, headRow, notice, select, type Option } from './dom.js';
import { T, view } from './page.js';
import { channelLabel, lineName, loadChannels, loadLines, showError, state } from './state.js';
import { linesDialog, viewDialog } from './template-dialogs.js';
import { templateForm } from './template-form.js';
import type { TemplateStatus, TemplateView } from './template-types.js';

/**
 * The Templates tab (issue 11, seed 001): a channel's templates with their review status, filters by
 * category, status, language, active and text, the active switch, the open lines each is offered
 * on, deletion, "sync now", and the request form. While a template waits for Gupshup's answer the
 * list looks again every few seconds, so Pending turns into Approved or Rejected on its own.
 */

const CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
/** The filter's statuses; `pending` also covers a draft on its way to Gupshup. */
const STATUSES = [
  'pending',
  'approved',
  'rejected',
  'paused',
  'disabled',
  'failed',
  'in_appeal',
  'deleted',
] as const;
const WAITING: ReadonlySet<TemplateStatus> = new Set(['draft', 'submitting', 'pending', 'in_appeal']);
/** The statuses whose reason is shown (an old rejection's reason says nothing about a deletion). */
const WITH_REASON: ReadonlySet<TemplateStatus> = new Set([
  'rejected',
  'failed',
  'paused',
  'disabled',
  'in_appeal',
]);
const POLL_MS = 4_000;
const SYNC_WATCH_MS = 30_000;

const tpl = {
  channelId: '',
  filter: { category: '', status: '', language: '', active: '', q: '' },
  list: [] as TemplateView[],
  /** Until when the list is looked at again after "sync now". */
  watchUntil: 0,
  timer: undefined as ReturnType<typeof setTimeout> | undefined,
};

interface Parts {
  tbody: HTMLTableSectionElement;
  empty: HTMLElement;
  msg: HTMLElement;
  language: HTMLSelectElement;
}

export async function templatesTab(flash?: HTMLElement): Promise<void> {
  clearTimeout(tpl.timer);
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  try {
    await Promise.all([loadLines(), loadChannels()]);
  } catch (e) {
    showError(e as Error);
    return;
  }
  const first = state.channels[0];
  if (!first) {
    clear(view).appendChild(notice('info', T('roles.noChannels')));
    return;
  }
  if (!state.channels.some((c) => c.id === tpl.channelId)) tpl.channelId = first.id;
  const p = scaffold();
  if (flash) p.msg.appendChild(flash);
  await load(p);
}

const channel = () => state.channels.find((c) => c.id === tpl.channelId);

function scaffold(): Parts {
  clear(view);
  const p: Parts = {
    tbody: h('tbody'),
    empty: h('p', { class: 'muted center', id: 'templates-empty', text: T('tpl.empty') }),
    msg: h('div', { id: 'templates-msg' }),
    language: select('language', [['', T('common.all')]], ''),
  };
  view.append(topBar(p), filterBar(p), p.msg);
  const titles = [
    'tpl.col.template',
    'tpl.col.language',
    'tpl.col.category',
    'tpl.col.status',
    'tpl.col.lines',
    'tpl.col.active',
  ] as const;
  view.append(h('table', { id: 'templates' }, headRow([...titles.map((k) => T(k)), '']), p.tbody), p.empty);
  return p;
}

function topBar(p: Parts): HTMLElement {
  const channels = state.channels.map((c): Option => [c.id, channelLabel(c)]);
  const ch = select('channel', channels, tpl.channelId);
  ch.onchange = () => {
    tpl.channelId = ch.value;
    tpl.list = [];
    void load(p);
  };
  const sync = h('button', { type: 'button', class: 'btn', id: 'templates-sync', text: T('tpl.sync') });
  sync.onclick = () => {
    sync.disabled = true;
    api
      .syncTemplates(tpl.channelId)
      .then(() => {
        tpl.watchUntil = Date.now() + SYNC_WATCH_MS;
        clear(p.msg).appendChild(notice('ok', T('tpl.syncAsked')));
        schedule(p);
      })
      .catch((e: Error) => clear(p.msg).appendChild(notice('error', e.message)))
      .finally(() => (sync.disabled = false));
  };
  const add = h('button', {
    type: 'button',
    class: 'btn primary',
    id: 'template-request',
    text: T('tpl.request'),
  });
  add.onclick = () => openForm();
  return h('div', { class: 'toolbar' }, field(T('tpl.channel'), ch), h('div', { class: 'grow' }), sync, add);
}

function filterBar(p: Parts): HTMLElement {
  const all: Option = ['', T('common.all')];
  const f = tpl.filter;
  const category = select(
    'category',
    [all, ...CATEGORIES.map((c): Option => [c, T(`tpl.cat.${c}`)])],
    f.category,
  );
  const status = select('status', [all, ...STATUSES.map((s): Option => [s, T(`tpl.status.${s}`)])], f.status);
  const active = select('active', [all, ['true', T('tpl.active')], ['false', T('tpl.inactive')]], f.active);
  const q = h('input', { type: 'search', name: 'q', value: f.q, placeholder: T('tpl.searchHint') });
  const bind = (el: HTMLSelectElement | HTMLInputElement, key: keyof typeof f) => {
    el.addEventListener(el instanceof HTMLInputElement ? 'input' : 'change', () => {
      f[key] = el.value;
      renderRows(p);
    });
  };
  bind(category, 'category');
  bind(status, 'status');
  bind(p.language, 'language');
  bind(active, 'active');
  bind(q, 'q');
  return h(
    'div',
    { class: 'toolbar one-row', id: 'template-filters' },
    field(T('tpl.f.category'), category),
    field(T('tpl.col.status'), status),
    field(T('tpl.col.language'), p.language),
    field(T('tpl.col.active'), active),
    h('label', { class: 'f grow' }, T('common.search'), q),
  );
}

function openForm(): void {
  clearTimeout(tpl.timer);
  const ch = channel();
  if (!ch) return;
  clear(view).appendChild(
    templateForm({
      channelId: ch.id,
      channel: channelLabel(ch),
      lines: state.lines,
      channelLine: ch.lineId,
      onDone: (created, warning) => {
        const flash = created
          ? notice(
              warning ? 'error' : 'ok',
              warning ?? T('tpl.requested').replace('{name}', created.displayName),
            )
          : undefined;
        void templatesTab(flash).then(() => document.body.setAttribute('data-ready', 'templates'));
      },
    }),
  );
  document.body.setAttribute('data-ready', 'template-form');
}

async function load(p: Parts): Promise<void> {
  const channelId = tpl.channelId;
  try {
    const r = await api.templates(channelId);
    if (channelId !== tpl.channelId) return;
    const changed = JSON.stringify(r.templates) !== JSON.stringify(tpl.list);
    tpl.list = r.templates;
    if (changed || !p.tbody.children.length) renderRows(p);
  } catch (e) {
    // A viewer without a role on the channel sees why, not an empty table.
    if (e instanceof ApiError && e.status === 403 && !tpl.list.length) {
      clear(view).appendChild(notice('error', e.message));
      return;
    }
    clear(p.msg).appendChild(notice('error', (e as Error).message));
  }
  schedule(p);
}

/** Looks again while something waits for Gupshup, as long as the tab is on the page. */
function schedule(p: Parts): void {
  clearTimeout(tpl.timer);
  const waiting = tpl.list.some((t) => WAITING.has(t.status) || t.deleting) || Date.now() < tpl.watchUntil;
  if (!waiting) return;
  tpl.timer = setTimeout(() => {
    if (p.tbody.isConnected) void load(p);
  }, POLL_MS);
}

const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();

function matches(t: TemplateView): boolean {
  const f = tpl.filter;
  const status = t.status === 'draft' || t.status === 'submitting' ? 'pending' : t.status;
  const q = fold(f.q.trim());
  return (
    (!f.category || t.category === f.category) &&
    (!f.status || status === f.status) &&
    (!f.language || t.language === f.language) &&
    (!f.active || String(t.active) === f.active) &&
    (!q || fold(`${t.displayName} ${t.elementName} ${t.body}`).includes(q))
  );
}

function renderRows(p: Parts): void {
  const focused = document.activeElement?.closest('[data-template]')?.getAttribute('data-template');
  const act = document.activeElement?.getAttribute('data-act');
  const langs = [...new Set(tpl.list.map((t) => t.language))].sort();
  const current = p.language.value;
  clear(p.language).append(
    h('option', { value: '', text: T('common.all') }),
    ...langs.map((l) => h('option', { value: l, text: l, selected: l === current })),
  );
  clear(p.tbody);
  for (const t of tpl.list.filter(matches)) p.tbody.appendChild(row(p, t));
  p.empty.hidden = p.tbody.children.length > 0;
  p.empty.textContent = tpl.list.length ? T('tpl.noMatch') : T('tpl.empty');
  if (focused && act) {
    p.tbody.querySelector<HTMLElement>(`[data-template="${focused}"] [data-act="${act}"]`)?.focus();
  }
}

function statusCell(t: TemplateView): HTMLElement {
  const badge = t.deleting
    ? h('span', { class: 'badge deleted', text: T('tpl.status.deleting') })
    : h('span', { class: 'badge ' + t.status, 'data-status': t.status, text: T(`tpl.status.${t.status}`) });
  const why = t.statusReason && WITH_REASON.has(t.status) ? t.statusReason : '';
  return h(
    'td',
    {},
    badge,
    why
      ? h('div', {
          class: 'muted reason',
          'data-reason': true,
          text: T('tpl.reason').replace('{reason}', why),
        })
      : null,
  );
}

function activeSwitch(p: Parts, t: TemplateView): HTMLElement {
  const sw = h('input', {
    type: 'checkbox',
    checked: t.active,
    disabled: t.status === 'deleted' || t.deleting,
    'data-act': 'active',
    'aria-label': `${T('tpl.col.active')}: ${t.displayName}`,
  });
  sw.onchange = () => {
    const on = sw.checked;
    sw.disabled = true;
    api
      .patchTemplate(t.id, { active: on })
      .then((updated) => {
        tpl.list = tpl.list.map((x) => (x.id === t.id ? updated : x));
        clear(p.msg);
        renderRows(p);
      })
      .catch((e: Error) => {
        sw.checked = !on;
        sw.disabled = false;
        clear(p.msg).appendChild(notice('error', e.message));
      });
  };
  return h('label', { class: 'switch' }, sw, h('span'));
}

function row(p: Parts, t: TemplateView): HTMLTableRowElement {
  const reload = () => void load(p);
  const gone = t.status === 'deleted' || !!t.deleting;
  const name = h('button', {
    type: 'button',
    class: 'link',
    'data-act': 'view',
    text: t.displayName,
    onclick: () => viewDialog(t),
  });
  const lines = t.lineIds.length
    ? t.lineIds.map((id) => lineName(id)).join(', ')
    : h('span', { class: 'warn', title: T('tpl.noLinesHelp'), text: T('tpl.noLines') });
  const linesBtn = h('button', {
    type: 'button',
    class: 'btn small',
    'data-act': 'lines',
    text: T('tpl.lines'),
    disabled: gone,
    onclick: () => linesDialog(t, channel()?.lineId ?? null, reload),
  });
  const del = h('button', {
    type: 'button',
    class: 'btn small danger',
    'data-act': 'delete',
    text: T('common.delete'),
    disabled: gone,
    onclick: () =>
      confirmBox(
        T('tpl.deleteTitle').replace('{name}', t.displayName),
        T('tpl.deleteText'),
        T('common.delete'),
        () => api.deleteTemplate(t.id).then(reload),
      ),
  });
  return h(
    'tr',
    { 'data-template': t.id, 'data-element': t.elementName, class: gone ? 'gone' : null },
    h('td', {}, name, h('div', { class: 'muted mono', text: t.elementName })),
    h('td', { text: t.language }),
    h('td', { text: T(`tpl.cat.${t.category}`) }),
    statusCell(t),
    h('td', { class: 'lines-cell' }, lines),
    h('td', {}, activeSwitch(p, t)),
    h('td', { class: 'actions' }, linesBtn, ' ', del),
  );
}
