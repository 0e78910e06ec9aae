import { fill } from './billing-format.js';
import { dialog } from './dialog.js';
import { clear, field, h, headRow, notice } from './dom.js';
import { operatorCall, operatorFailure } from './operator-api.js';
import { T } from './page.js';

/**
 * The operator page's Notifications section (issue 13 item 5): the portals that use scheduled
 * notifications, each with its trial or full service, numbers and groups used of those allowed and
 * its calling codes (GET /api/v1/operator/notifications, paged), and a dialog per portal to raise
 * its limits, add or remove calling codes and switch the full service on or off (PATCH …/:portalId).
 * The page checks a code's shape; whether a country has it is the server's call, and its refusal
 * shows in the dialog.
 */

interface OperatorPortal {
  portalId: number;
  domain: string;
  installed: boolean;
  fullService: boolean;
  trial: { endsAt: string; ended: boolean; daysLeft: number } | null;
  limits: { recipients: number; groups: number };
  maxRecipients: number;
  maxGroups: number;
  usage: { recipients: number; groups: number };
  allowedCallingCodes: string[];
}

const PAGE = 20;
const CODE = /^[1-9]\d{0,2}$/;
const plus = (codes: string[]) => codes.map((c) => '+' + c).join(', ');

export function notificationsSection(): HTMLElement {
  const msg = h('div', { id: 'opn-msg' });
  const tbody = h('tbody');
  const search = h('input', { type: 'search', name: 'search', id: 'opn-search', maxlength: 100 });
  const more = h('button', {
    type: 'button',
    class: 'btn',
    id: 'opn-more',
    text: T('opn.more'),
    hidden: true,
  });
  const find = h('form', { class: 'toolbar', role: 'search', id: 'opn-find' });
  find.append(
    field(T('opn.search'), search),
    h('button', { type: 'submit', class: 'btn', text: T('opn.find') }),
  );
  const section = h(
    'section',
    { class: 'bill', id: 'op-ntf', 'data-state': 'loading', 'aria-labelledby': 'opn-title' },
    h('h2', { id: 'opn-title', text: T('opn.title') }),
    h('p', { class: 'muted', text: T('opn.intro') }),
    find,
    msg,
    h(
      'table',
      {},
      headRow([T('opn.portal'), T('opn.service'), T('opn.numbers'), T('opn.groups'), T('opn.codes'), '']),
      tbody,
    ),
    h('div', { class: 'toolbar' }, more),
  );

  let cursor: number | null = null;
  let query = '';
  const load = async (reset: boolean): Promise<void> => {
    section.setAttribute('data-state', 'loading');
    const q = new URLSearchParams({ limit: String(PAGE), search: query });
    if (!reset && cursor !== null) q.set('cursor', String(cursor));
    try {
      const r = await operatorCall<{ items: OperatorPortal[]; nextCursor: number | null }>(
        'GET',
        '/notifications?' + q.toString(),
      );
      if (reset) clear(tbody);
      r.items.forEach((p) => tbody.appendChild(portalRow(p, edit)));
      if (!tbody.childElementCount) {
        tbody.appendChild(h('tr', {}, h('td', { colspan: 6, class: 'muted', text: T('opn.none') })));
      }
      cursor = r.nextCursor;
      more.hidden = cursor === null;
    } catch (e) {
      msg.appendChild(operatorFailure('op.loadFailed', e));
    }
    section.setAttribute('data-state', 'ready');
  };
  const edit = (p: OperatorPortal) =>
    editDialog(p, async () => {
      clear(msg);
      await load(true);
      msg.appendChild(notice('ok', fill(T('opn.saved'), { domain: p.domain })));
    });
  find.onsubmit = (e) => {
    e.preventDefault();
    clear(msg);
    query = search.value.trim();
    void load(true);
  };
  more.onclick = () => {
    clear(msg);
    void load(false);
  };
  void load(true);
  return section;
}

function portalRow(p: OperatorPortal, edit: (p: OperatorPortal) => void): HTMLTableRowElement {
  const service = p.fullService
    ? h('span', { class: 'badge active', text: T('opn.full') })
    : p.trial?.ended
      ? h('span', { class: 'badge expired', text: T('opn.trialEnded') })
      : h('span', { class: 'badge trial', text: fill(T('opn.trialDays'), { n: p.trial?.daysLeft ?? 0 }) });
  const change = h('button', {
    type: 'button',
    class: 'btn small',
    text: T('opn.change'),
    'aria-label': fill(T('opn.changeLabel'), { domain: p.domain }),
  });
  change.onclick = () => edit(p);
  return h(
    'tr',
    { 'data-portal': p.portalId },
    h('td', {}, p.domain, !p.installed && h('span', { class: 'muted', text: ` (${T('opn.uninstalled')})` })),
    h('td', {}, service),
    h('td', { 'data-col': 'numbers', text: `${p.usage.recipients} / ${p.limits.recipients}` }),
    h('td', { 'data-col': 'groups', text: `${p.usage.groups} / ${p.limits.groups}` }),
    h('td', { 'data-col': 'codes', text: plus(p.allowedCallingCodes) }),
    h('td', { class: 'actions' }, change),
  );
}

/** Limits, full service and calling codes of one portal; `saved` runs after the server accepted. */
function editDialog(p: OperatorPortal, saved: () => Promise<void>): void {
  const codes = [...p.allowedCallingCodes];
  const number = (name: string, min: number, value: number) =>
    h('input', { type: 'number', name, id: 'opn-' + name, min, step: 1, required: true, value });
  const maxRecipients = number('maxRecipients', 0, p.maxRecipients);
  const maxGroups = number('maxGroups', 1, p.maxGroups);
  const full = h('input', { type: 'checkbox', name: 'fullService', id: 'opn-full', checked: p.fullService });
  const list = h('ul', { class: 'opn-codes', id: 'opn-codes' });
  const codeMsg = h('div', { id: 'opn-code-msg' });
  const code = h('input', { type: 'text', name: 'code', id: 'opn-code', inputmode: 'numeric', maxlength: 4 });
  const showCodes = () => {
    clear(list);
    for (const c of codes) {
      const remove = h('button', {
        type: 'button',
        class: 'btn small',
        text: '×',
        'aria-label': fill(T('opn.removeCode'), { code: c }),
        'data-remove': c,
      });
      remove.onclick = () => {
        clear(codeMsg);
        if (codes.length === 1) return void codeMsg.appendChild(notice('error', T('opn.noCodes')));
        codes.splice(codes.indexOf(c), 1);
        showCodes();
      };
      list.appendChild(
        h('li', { 'data-code': c }, h('span', { class: 'badge', text: '+' + c }), ' ', remove),
      );
    }
  };
  const add = h('button', { type: 'button', class: 'btn small', id: 'opn-add-code', text: T('opn.add') });
  add.onclick = () => {
    clear(codeMsg);
    const c = code.value.trim().replace(/^\+/, '');
    if (!CODE.test(c)) return void codeMsg.appendChild(notice('error', T('opn.badCode')));
    if (!codes.includes(c)) codes.push(c);
    code.value = '';
    showCodes();
  };
  // Enter in the code field adds the code rather than saving the dialog.
  code.onkeydown = (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    add.click();
  };
  showCodes();
  dialog({
    title: fill(T('opn.dialogTitle'), { domain: p.domain }),
    build: (body) =>
      body.append(
        h(
          'div',
          { class: 'fields' },
          field(T('opn.maxRecipients'), maxRecipients),
          field(T('opn.maxGroups'), maxGroups),
          h('label', { class: 'wide check' }, full, ' ', T('opn.fullService')),
        ),
        h(
          'fieldset',
          {},
          h('legend', { text: T('opn.codesLegend') }),
          list,
          h('div', { class: 'toolbar' }, field(T('opn.addCode'), code), add),
          codeMsg,
        ),
      ),
    onOk: async () => {
      const recipients = Number(maxRecipients.value);
      const groups = Number(maxGroups.value);
      if (!Number.isInteger(recipients) || recipients < 0 || !Number.isInteger(groups) || groups < 1) {
        throw new Error(T('opn.badNumber'));
      }
      try {
        await operatorCall('PATCH', `/notifications/${p.portalId}`, {
          maxRecipients: recipients,
          maxGroups: groups,
          fullService: full.checked,
          allowedCallingCodes: codes,
        });
      } catch (e) {
        throw new Error(fill(T('op.failed'), { error: e instanceof Error ? e.message : String(e) }));
      }
      await saved();
    },
  });
}
