import { api } from './api.js';
import { dialog } from './dialog.js';
import { clear, field, h, headRow } from './dom.js';
import { companiesPart } from './notifications-companies.js';
import {
  banner,
  failedNotice,
  N,
  part,
  refusalText,
  rowActions,
  say,
  showFieldIssues,
} from './notifications-common.js';
import { historyPart } from './notifications-history.js';
import { groupReportsPart } from './notifications-schedule.js';
import { showList } from './notifications-tab.js';
import type { NtfGroup, NtfRecipient } from './notifications-types.js';
import { T, view } from './page.js';

/**
 * A group's page, the seed's "Principal" screen: 1 Recipients (enable per row, mark / unmark all,
 * add, edit, delete; the number's problem next to its field), 2 Companies, 3 Reports with their
 * weekdays and hours, and the history of the digests sent. Each part redraws itself from what the
 * server answered, so the counters are always the server's.
 */

export async function groupPage(id: number): Promise<void> {
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  let g: NtfGroup;
  try {
    g = await api.ntfGroup(id);
  } catch (e) {
    clear(view).appendChild(failedNotice(e));
    return;
  }
  clear(view);
  const back = h('button', { type: 'button', class: 'btn', id: 'ntf-back', text: N('back') });
  back.onclick = () => void showList();
  const title = h('h2', { id: 'ntf-group-name', class: 'ntf-title', text: g.group.name });
  const rename = h('button', { type: 'button', class: 'btn small', id: 'ntf-rename', text: N('rename') });
  rename.onclick = () => renameGroup(g, title);
  view.appendChild(h('div', { class: 'toolbar', style: 'align-items:center' }, back, title, rename));
  view.appendChild(banner(g));
  const recipients = part('ntf-recipients', '');
  const companies = part('ntf-companies', N('companies'));
  const reports = part('ntf-group-reports', N('reports'));
  const history = part('ntf-history', N('history'));
  view.append(recipients.el, companies.el, reports.el, history.el);
  const reload = historyPart(history, g.group.id);
  renderRecipients(recipients, g);
  companiesPart(companies, g);
  groupReportsPart(reports, g, reload);
  await reload();
  document.body.setAttribute('data-ready', 'notifications-group');
  back.focus();
}

type Part = ReturnType<typeof part>;

function renameGroup(g: NtfGroup, title: HTMLElement): void {
  const name = h('input', { type: 'text', name: 'name', value: g.group.name, maxlength: 80, required: true });
  dialog({
    title: N('rename'),
    build: (b) => b.appendChild(h('div', { class: 'fields' }, field(N('groupName'), name, true))),
    onOk: async () => {
      try {
        const saved = await api.ntfPatchGroup(g.group.id, { name: name.value.trim() });
        g.group.name = saved.group.name;
        title.textContent = saved.group.name;
      } catch (e) {
        throw new Error(refusalText(e, g));
      }
    },
  });
}

function renderRecipients(p: Part, g: NtfGroup): void {
  p.heading.textContent = N('recipients', { used: g.usage.recipients, max: g.limits.recipients });
  const redraw = (next: NtfGroup) => {
    Object.assign(g, next);
    renderRecipients(p, g);
  };
  const act = async (fn: () => Promise<NtfGroup>) => {
    clear(p.msg);
    try {
      redraw(await fn());
    } catch (e) {
      say(p.msg, 'error', refusalText(e, g));
    }
  };
  const button = (id: string, text: string, onclick: () => void, cls = 'btn') =>
    h('button', { type: 'button', class: cls, id, text, onclick });
  const none = g.group.recipients.length === 0;
  const tools = h(
    'div',
    { class: 'toolbar' },
    button('ntf-mark-all', N('markAll'), () => void act(() => api.ntfEnable(g.group.id, null, true))),
    button('ntf-unmark-all', N('unmarkAll'), () => void act(() => api.ntfEnable(g.group.id, null, false))),
    button('ntf-add-recipient', N('add'), () => recipientDialog(g, null, redraw), 'btn primary'),
  );
  tools
    .querySelectorAll<HTMLButtonElement>('#ntf-mark-all,#ntf-unmark-all')
    .forEach((b) => (b.disabled = none));
  const row = (r: NtfRecipient) => {
    const who = `${r.firstName} ${r.lastName}`.trim();
    const box = h('input', {
      type: 'checkbox',
      checked: r.enabled,
      'data-enable': r.id,
      'aria-label': N('enableFor', { name: who }),
    });
    box.onchange = () => void act(() => api.ntfEnable(g.group.id, r.id, box.checked));
    return h(
      'tr',
      { 'data-recipient': r.id, class: r.enabled ? 'on' : 'off' },
      h('td', {}, box),
      h('td', { text: r.firstName }),
      h('td', { text: r.lastName }),
      h('td', { class: 'number', text: r.phone }),
      h('td', { text: r.reference }),
      rowActions(r.id, () => recipientDialog(g, r, redraw), {
        title: N('deleteRecipient'),
        text: N('deleteRecipientText', { name: who }),
        action: async () => {
          await api.ntfDeleteRecipient(r.id);
          redraw(await api.ntfGroup(g.group.id));
        },
      }),
    );
  };
  clear(p.body).append(
    h('p', { class: 'muted', text: N('recipientsHelp') }),
    tools,
    none
      ? h('p', { class: 'muted', id: 'ntf-no-recipients', text: N('noRecipients') })
      : h(
          'table',
          { id: 'ntf-recipients-table' },
          headRow([N('colEnabled'), N('firstName'), N('lastName'), N('phone'), N('reference'), '']),
          h('tbody', {}, g.group.recipients.map(row)),
        ),
  );
}

/** Add a number to the group (`r` null) or change one; the server's issues go next to their fields. */
function recipientDialog(g: NtfGroup, r: NtfRecipient | null, redraw: (next: NtfGroup) => void): void {
  const input = (name: string, value: string, extra: Record<string, string | number | boolean> = {}) =>
    h('input', { type: 'text', name, value, autocomplete: 'off', ...extra });
  const fields = {
    firstName: input('firstName', r?.firstName ?? '', { required: true, maxlength: 80 }),
    lastName: input('lastName', r?.lastName ?? '', { required: true, maxlength: 80 }),
    phone: input('phone', r?.phone ?? '', { required: true, maxlength: 40, type: 'tel', inputmode: 'tel' }),
    reference: input('reference', r?.reference ?? '', { maxlength: 120 }),
  };
  dialog({
    title: r ? N('editRecipient') : N('newRecipient'),
    build: (b) =>
      b.appendChild(
        h(
          'div',
          { class: 'fields' },
          field(N('firstName'), fields.firstName),
          field(N('lastName'), fields.lastName),
          h(
            'label',
            { class: 'f wide' },
            N('phone'),
            fields.phone,
            h('span', { class: 'muted', text: N('phoneHelp') }),
          ),
          field(N('reference'), fields.reference, true),
        ),
      ),
    onOk: async (form) => {
      const body = {
        firstName: fields.firstName.value,
        lastName: fields.lastName.value,
        phone: fields.phone.value,
        reference: fields.reference.value,
      };
      try {
        if (r) {
          await api.ntfPatchRecipient(r.id, body);
          redraw(await api.ntfGroup(g.group.id));
        } else redraw(await api.ntfAddRecipient(g.group.id, body));
      } catch (e) {
        if (showFieldIssues(form, e, g)) return true;
        throw new Error(refusalText(e, g));
      }
      return false;
    },
  });
}
