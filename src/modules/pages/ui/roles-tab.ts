import { api } from './api.js';
import { clear, field, h, headRow, notice, select, type Option } from './dom.js';
import { boot, T, view } from './page.js';
import { crmBox } from './roles-crm.js';
import { channelLabel, loadChannels, showError, state } from './state.js';
import type { CrmLists, Department, PortalUser, Role, Roles } from './types.js';

/** The Roles tab: who does what in each channel's chats, and where new customers go in the CRM. */

type RoleFlag = 'qualityControl' | 'salesRep' | 'boss';

const roles = {
  channelId: '',
  search: '',
  department: '',
  users: [] as PortalUser[],
  next: null as number | null,
  saved: {} as Record<string, Role>,
  pending: {} as Record<string, Role>,
  depts: [] as Department[],
};

/** The tab's elements, made by rolesTab. */
interface Parts {
  tbody: HTMLTableSectionElement;
  more: HTMLButtonElement;
  msg: HTMLDivElement;
  apply: HTMLButtonElement;
  cancel: HTMLButtonElement;
}

const roleKey = (channelId: string, userId: number) => channelId + ':' + userId;

export async function rolesTab(): Promise<void> {
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  if (!boot.admin) {
    clear(view).appendChild(notice('info', T('common.adminOnly')));
    return;
  }
  let data: Roles;
  let crmLists: CrmLists | null;
  try {
    [, data, , crmLists] = await Promise.all([
      loadChannels(),
      api.roles(),
      api
        .departments()
        .then((r) => (roles.depts = r.items))
        .catch(() => (roles.depts = [])),
      api.crmLists().catch(() => null),
    ]);
  } catch (e) {
    showError(e as Error);
    return;
  }
  roles.saved = {};
  roles.pending = {};
  for (const r of data.roles) roles.saved[roleKey(r.channelId, r.userId)] = r;
  clear(view);
  const first = state.channels[0];
  if (!first) {
    view.appendChild(notice('info', T('roles.noChannels')));
    return;
  }
  if (!state.channels.some((c) => c.id === roles.channelId)) roles.channelId = first.id;
  const crm = crmBox(data, crmLists, () => roles.channelId);
  const p = scaffold(crm.render);
  view.appendChild(crm.box);
  crm.render();
  await loadUsers(p, true);
}

/** Filters, the users table and its buttons; `onChannel` after another channel was chosen. */
function scaffold(onChannel: () => void): Parts {
  view.appendChild(h('p', { class: 'muted', text: T('roles.intro') }));
  const p: Parts = {
    tbody: h('tbody'),
    more: h('button', { type: 'button', class: 'btn', text: T('common.more') }),
    msg: h('div'),
    apply: h('button', { type: 'button', class: 'btn success', id: 'roles-apply', text: T('common.apply') }),
    cancel: h('button', { type: 'button', class: 'btn', id: 'roles-cancel', text: T('common.cancel') }),
  };
  p.more.onclick = () => void loadUsers(p, false);
  p.cancel.onclick = () => {
    roles.pending = {};
    clear(p.msg);
    renderUsers(p);
  };
  p.apply.onclick = () => applyChanges(p);
  view.appendChild(filters(p, onChannel));
  view.appendChild(p.msg);
  const titles = headRow([T('roles.user'), T('roles.qc'), T('roles.sales'), T('roles.boss')]);
  view.appendChild(h('table', { id: 'roles' }, titles, p.tbody));
  const grow = h('div', { class: 'grow' });
  view.appendChild(h('div', { class: 'toolbar', style: 'margin-top:12px' }, p.apply, p.cancel, grow, p.more));
  return p;
}

/** Channel, name search (as one types) and department. */
function filters(p: Parts, onChannel: () => void): HTMLDivElement {
  const channels = state.channels.map((c): Option => [c.id, channelLabel(c)]);
  const chSel = select('channel', channels, roles.channelId);
  const search = h('input', {
    type: 'search',
    name: 'search',
    value: roles.search,
    placeholder: T('common.search'),
  });
  const depts: Option[] = [['', T('common.all')], ...roles.depts.map((d): Option => [d.id, d.name])];
  const dept = select('department', depts, roles.department);
  chSel.onchange = () => {
    roles.channelId = chSel.value;
    renderUsers(p);
    onChannel();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  search.oninput = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      roles.search = search.value;
      void loadUsers(p, true);
    }, 300);
  };
  dept.onchange = () => {
    roles.department = dept.value;
    void loadUsers(p, true);
  };
  const fields = [
    field(T('roles.channel'), chSel),
    field(T('common.search'), search),
    field(T('roles.department'), dept),
  ];
  return h('div', { class: 'toolbar' }, fields);
}

function applyChanges(p: Parts): void {
  const changes = Object.values(roles.pending);
  if (!changes.length) return;
  p.apply.disabled = true;
  api
    .applyRoles(changes)
    .then(() => {
      for (const c of changes) roles.saved[roleKey(c.channelId, c.userId)] = c;
      roles.pending = {};
      clear(p.msg).appendChild(notice('ok', T('common.saved')));
      renderUsers(p);
    })
    .catch((e: Error) => clear(p.msg).appendChild(notice('error', e.message)))
    .finally(() => {
      p.apply.disabled = false;
    });
}

/** The user's roles in the chosen channel: changed here, else saved, else none. */
function current(u: PortalUser): Role {
  const k = roleKey(roles.channelId, u.id);
  return (
    roles.pending[k] ??
    roles.saved[k] ?? {
      channelId: roles.channelId,
      userId: u.id,
      userName: u.name,
      qualityControl: false,
      salesRep: false,
      receivesNew: false,
      boss: false,
    }
  );
}

function setRole(p: Parts, u: PortalUser, patch: Partial<Role>): void {
  const c: Role = { ...current(u), ...patch, userName: u.name };
  if (!c.salesRep) c.receivesNew = false;
  roles.pending[roleKey(roles.channelId, u.id)] = c;
  renderUsers(p);
}

function box(p: Parts, u: PortalUser, prop: RoleFlag, label: string): HTMLInputElement {
  const el = h('input', {
    type: 'checkbox',
    checked: current(u)[prop],
    'aria-label': label + ' ' + u.name,
    'data-role': prop,
  });
  el.onchange = () => setRole(p, u, { [prop]: el.checked });
  return el;
}

function userRow(p: Parts, u: PortalUser): HTMLTableRowElement {
  const c = current(u);
  const receivesNew = h('input', {
    type: 'checkbox',
    checked: c.receivesNew,
    disabled: !c.salesRep,
    'data-role': 'receivesNew',
    'aria-label': T('roles.newClients') + ' ' + u.name,
  });
  receivesNew.onchange = () => setRole(p, u, { receivesNew: receivesNew.checked });
  return h(
    'tr',
    { 'data-user': u.id },
    h(
      'td',
      {},
      h('div', { text: u.name }),
      u.position ? h('div', { class: 'muted', text: u.position }) : null,
    ),
    h('td', {}, box(p, u, 'qualityControl', T('roles.qc'))),
    h(
      'td',
      {},
      box(p, u, 'salesRep', T('roles.sales')),
      ' ',
      h('label', { class: 'muted' }, receivesNew, ' ' + T('roles.newClients')),
    ),
    h('td', {}, box(p, u, 'boss', T('roles.boss'))),
  );
}

function renderUsers(p: Parts): void {
  clear(p.tbody);
  for (const u of roles.users) p.tbody.appendChild(userRow(p, u));
  p.more.hidden = roles.next === null;
  p.apply.disabled = Object.keys(roles.pending).length === 0;
  p.cancel.disabled = p.apply.disabled;
}

async function loadUsers(p: Parts, reset: boolean): Promise<void> {
  const start = reset ? 0 : (roles.next ?? 0);
  try {
    const r = await api.users(start, roles.search, roles.department);
    roles.users = reset ? r.items : roles.users.concat(r.items);
    roles.next = r.next;
    renderUsers(p);
  } catch (e) {
    clear(p.msg).appendChild(notice('error', (e as Error).message));
  }
}
