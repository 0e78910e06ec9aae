import { ApiError } from './api.js';
import { campaignsApi, type Campaign } from './campaigns-api.js';
import { C, doneOf, progressBar, statusBadge } from './campaigns-common.js';
import { campaignEditor } from './campaigns-edit.js';
import { campaignProgress } from './campaigns-progress.js';
import { clear, h, headRow, notice } from './dom.js';
import { optOutsPart } from './campaigns-optouts.js';
import { boot, fmtDate, T, view } from './page.js';

/**
 * The Campaigns tab (issue 14): the portal's campaigns with their status and progress; a draft opens
 * in the editor (settings, the list from a CSV or the CRM with its preview and rejected rows), a
 * started one in its progress view (start/pause/resume/cancel, live counts and rate, the funnel).
 * Portal admins and the channels' bosses, as the API is.
 */

export async function campaignsTab(): Promise<void> {
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  let items: Campaign[];
  try {
    items = (await campaignsApi.list()).items;
  } catch (e) {
    const text =
      e instanceof ApiError && e.status === 403
        ? T('common.forbidden')
        : C('loadFailed', { error: String((e as Error).message ?? e) });
    const box = notice(e instanceof ApiError && e.status === 403 ? 'info' : 'error', text);
    box.id = 'cmp-load-failed';
    clear(view).appendChild(box);
    return;
  }
  const create = h('button', { type: 'button', class: 'btn primary', id: 'cmp-new', text: C('newCampaign') });
  create.onclick = () => void openCampaign(null);
  clear(view).append(
    h('p', { class: 'muted', text: C('intro') }),
    h('div', { class: 'toolbar' }, create),
    items.length ? table(items) : h('p', { class: 'muted', id: 'cmp-none', text: C('none') }),
  );
  // The opt-outs are the portal's, for its admins (the API refuses the channels' bosses).
  if (boot.admin) view.appendChild(optOutsPart());
}

function table(items: Campaign[]): HTMLTableElement {
  const body = h('tbody');
  for (const c of items) {
    const name = h('a', { href: '#campaigns', 'data-campaign': c.id, text: c.name });
    name.onclick = (e) => {
      e.preventDefault();
      void openCampaign(c.id);
    };
    body.appendChild(
      h(
        'tr',
        { 'data-id': c.id },
        h('td', {}, name),
        h('td', {}, statusBadge(c.status)),
        h(
          'td',
          {},
          c.status === 'draft'
            ? h('span', { class: 'muted', text: C('listCounts', listVars(c)) })
            : progressBar(doneOf(c), c.counts.total),
        ),
        h('td', { class: 'muted', text: fmtDate(c.createdAt) }),
      ),
    );
  }
  return h(
    'table',
    { class: 'grid', id: 'cmp-table' },
    headRow([C('name'), C('status'), C('progress'), C('created')]),
    body,
  );
}

function listVars(c: Campaign) {
  return { rows: c.list.rows, valid: c.list.rows - c.list.rejected, rejected: c.list.rejected };
}

/** A campaign's page: the editor for a draft (or a new one), the progress view once started. */
export async function openCampaign(id: number | null): Promise<void> {
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  const back = h('a', { href: '#campaigns', id: 'cmp-back', text: C('back') });
  back.onclick = (e) => {
    e.preventDefault();
    void campaignsTab();
  };
  try {
    const c = id === null ? null : await campaignsApi.get(id);
    clear(view).appendChild(h('p', {}, back));
    if (c === null || c.status === 'draft') {
      await campaignEditor(
        view,
        c,
        (next) => void openCampaign(next),
        () => void campaignsTab(),
      );
    } else {
      await campaignProgress(
        view,
        c,
        () => void openCampaign(c.id),
        () => void campaignsTab(),
      );
    }
  } catch (e) {
    clear(view).append(h('p', {}, back), notice('error', C('loadFailed', { error: (e as Error).message })));
  }
}
