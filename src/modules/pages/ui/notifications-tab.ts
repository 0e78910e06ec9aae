import { api, ApiError } from './api.js';
import { dialog } from './dialog.js';
import { clear, field, h, headRow, notice } from './dom.js';
import { groupPage } from './notifications-group.js';
import { banner, failedNotice, N, part, refusalText, rowActions, say } from './notifications-common.js';
import { reportsPart } from './notifications-reports.js';
import { settingsPart } from './notifications-settings.js';
import type { NtfGroupRow, NtfGroups } from './notifications-types.js';
import { boot, can, T, view } from './page.js';

/**
 * The Notifications tab (issue 13), shaped like the seed's "Configuración WSP": the groups (#,
 * group, recipients, companies) with the counters and the trial banner, the portal's reports and,
 * for portal admins, the settings. A group opens its page (notifications-group.ts). Users the API
 * does not let manage notifications are told so instead of a broken tab.
 */

export async function notificationsTab(): Promise<void> {
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  if (can && !can.manageNotifications) {
    forbidden();
    return;
  }
  let data: NtfGroups;
  try {
    data = await api.ntfGroups();
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) forbidden();
    else clear(view).appendChild(failedNotice(e));
    return;
  }
  renderList(data);
}

function forbidden(): void {
  const box = notice('info', N('forbidden'));
  box.id = 'ntf-forbidden';
  clear(view).appendChild(box);
}

/** Back from a group's page: the list as it is now. */
export async function showList(): Promise<void> {
  await notificationsTab();
  document.body.setAttribute('data-ready', 'notifications');
}

function renderList(data: NtfGroups): void {
  clear(view);
  view.appendChild(h('p', { class: 'muted', text: N('intro', { n: data.digestIntervalMinutes }) }));
  view.appendChild(banner(data));
  const groups = part('ntf-groups', N('groups', { used: data.usage.groups, max: data.limits.groups }));
  const add = h('button', { type: 'button', class: 'btn primary', id: 'ntf-new-group', text: N('newGroup') });
  add.onclick = () => newGroup(data);
  groups.body.appendChild(h('div', { class: 'toolbar' }, add));
  groups.body.appendChild(groupsTable(data));
  view.appendChild(groups.el);
  const reports = part('ntf-reports', N('portalReports'));
  view.appendChild(reports.el);
  void reportsPart(reports, data);
  if (boot.admin) {
    const settings = part('ntf-settings', N('settings'));
    view.appendChild(settings.el);
    settingsPart(settings, data);
  }
}

function groupsTable(data: NtfGroups): HTMLTableElement {
  const row = (g: NtfGroupRow, i: number) => {
    const name = h('button', { type: 'button', class: 'link', 'data-name': g.id, text: g.name });
    name.onclick = () => void groupPage(g.id);
    return h(
      'tr',
      { 'data-group': g.id },
      h('td', { text: String(i + 1) }),
      h('td', {}, name, g.isDefault ? [' ', h('span', { class: 'badge', text: N('main') })] : null),
      h('td', { class: 'nowrap', text: `${g.recipients}/${data.usage.recipients}` }),
      h('td', { text: g.companies === 'all' ? N('allCompanies') : String(g.companies) }),
      rowActions(
        g.id,
        () => void groupPage(g.id),
        g.isDefault
          ? null
          : {
              title: N('deleteGroup'),
              text: N('deleteGroupText', { name: g.name }),
              action: () => deleteGroup(data, g),
            },
      ),
    );
  };
  return h(
    'table',
    { id: 'ntf-groups-table' },
    headRow(['#', N('colGroup'), N('colRecipients'), N('colCompanies'), '']),
    h('tbody', {}, data.groups.map(row)),
  );
}

function newGroup(data: NtfGroups): void {
  const name = h('input', { type: 'text', name: 'name', maxlength: 80, required: true, autocomplete: 'off' });
  dialog({
    title: N('newGroup'),
    build: (b) => b.appendChild(h('div', { class: 'fields' }, field(N('groupName'), name, true))),
    onOk: async () => {
      try {
        const created = await api.ntfCreateGroup(name.value.trim());
        void groupPage(created.group.id);
      } catch (e) {
        throw new Error(refusalText(e, data));
      }
    },
  });
}

/** After the dialog asked: deletes the group and shows the list as it is now. */
async function deleteGroup(data: NtfGroups, g: NtfGroupRow): Promise<void> {
  try {
    await api.ntfDeleteGroup(g.id);
  } catch (e) {
    throw new Error(refusalText(e, data));
  }
  await showList();
  const msg = document.getElementById('ntf-groups-msg');
  if (msg) say(msg, 'ok', T('common.saved'));
}
