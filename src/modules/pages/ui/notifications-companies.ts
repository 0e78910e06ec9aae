import { api } from './api.js';
import { clear, h, headRow } from './dom.js';
import { N, refusalText, say, type part } from './notifications-common.js';
import type { NtfCompany, NtfGroup } from './notifications-types.js';
import { T } from './page.js';

/**
 * A group's "2- Empresas": every CRM company ("Todas") or a chosen list, found by searching the
 * portal's CRM (GET /notification-companies). The chosen ones are listed first, ticked; search
 * results follow, unticked; Save sends the choice. In the trial every group hears about every company.
 */

export function companiesPart(p: ReturnType<typeof part>, g: NtfGroup): void {
  const picked = new Map<number, string>(g.group.companies.map((c) => [c.id, c.title]));
  let found: NtfCompany[] = [];
  const trial = !g.fullService;
  const radio = (id: string, value: 'all' | 'chosen', label: string, on: boolean) =>
    h(
      'label',
      { class: 'radio' },
      h('input', {
        type: 'radio',
        name: 'ntf-companies',
        id,
        value,
        checked: on,
        disabled: trial && value === 'chosen',
      }),
      ' ' + label,
    );
  const all = radio('ntf-companies-all', 'all', N('companiesAll'), g.group.allCompanies);
  const chosen = radio('ntf-companies-chosen', 'chosen', N('companiesChosen'), !g.group.allCompanies);
  const allBox = all.querySelector('input') as HTMLInputElement;
  const chosenBox = chosen.querySelector('input') as HTMLInputElement;
  const search = h('input', {
    type: 'search',
    id: 'ntf-company-search',
    name: 'search',
    placeholder: N('companySearch'),
    'aria-label': N('companySearch'),
    maxlength: 100,
    autocomplete: 'off',
  });
  const go = h('button', {
    type: 'button',
    class: 'btn',
    id: 'ntf-company-search-btn',
    text: T('common.search'),
  });
  const tbody = h('tbody');
  const table = h('table', { id: 'ntf-companies-table' }, headRow([N('colEnabled'), N('colCompany')]), tbody);
  const status = h('p', { class: 'muted', id: 'ntf-companies-status', 'aria-live': 'polite' });
  const save = h('button', {
    type: 'button',
    class: 'btn success',
    id: 'ntf-companies-save',
    text: T('common.save'),
  });
  const chooser = h(
    'div',
    { id: 'ntf-companies-chooser' },
    h('div', { class: 'toolbar' }, search, go),
    status,
    table,
  );

  const row = (c: NtfCompany) => {
    const box = h('input', {
      type: 'checkbox',
      checked: picked.has(c.id),
      'data-company': c.id,
      'aria-label': c.title,
    });
    box.onchange = () => {
      if (box.checked) picked.set(c.id, c.title);
      else picked.delete(c.id);
      chosenBox.checked = true;
    };
    return h('tr', { 'data-company': c.id }, h('td', {}, box), h('td', { text: c.title }));
  };
  const draw = () => {
    const rows = [...picked].map(([id, title]) => ({ id, title }));
    for (const c of found) if (!picked.has(c.id)) rows.push(c);
    clear(tbody);
    rows.forEach((c) => tbody.appendChild(row(c)));
    table.hidden = rows.length === 0;
    chooser.hidden = trial || allBox.checked;
  };
  allBox.onchange = draw;
  chosenBox.onchange = () => {
    draw();
    // The first companies of the CRM at once, so there is something to tick before typing.
    if (!found.length) void find();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Searches in flight; only the latest one's answer is shown. */
  let asked = 0;
  const find = async () => {
    clearTimeout(timer);
    clear(p.msg);
    const mine = ++asked;
    status.textContent = T('common.loading');
    try {
      const got = (await api.ntfCompanies(search.value.trim())).companies;
      if (mine !== asked) return;
      found = got;
      status.textContent = found.length ? '' : N('companyNone');
    } catch (e) {
      if (mine !== asked) return;
      status.textContent = '';
      say(p.msg, 'error', refusalText(e, g));
    }
    draw();
  };
  go.onclick = () => void find();
  search.onkeydown = (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void find();
    }
  };
  search.oninput = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void find(), 400);
  };
  save.onclick = async () => {
    clear(p.msg);
    save.disabled = true;
    try {
      const allCompanies = allBox.checked;
      const next = await api.ntfPatchGroup(g.group.id, {
        allCompanies,
        companies: allCompanies ? [] : [...picked].map(([id, title]) => ({ id, title })),
      });
      Object.assign(g, next);
      picked.clear();
      next.group.companies.forEach((c) => picked.set(c.id, c.title));
      draw();
      say(p.msg, 'ok', T('common.saved'));
    } catch (e) {
      say(p.msg, 'error', refusalText(e, g));
    } finally {
      save.disabled = false;
    }
  };
  clear(p.body).append(
    h('p', { class: 'muted', text: trial ? N('companiesTrial') : N('companiesAdvice') }),
    h('fieldset', { class: 'providers' }, h('legend', { text: N('colCompanies') }), all, chosen),
    chooser,
    h('div', { class: 'toolbar', style: 'margin-top:10px' }, save),
  );
  draw();
}
