import { actionsFrom, DELETABLE_STATUSES } from '../../campaigns/campaign-model.js';
import { campaignsApi, type Campaign, type CampaignReport } from './campaigns-api.js';
import { C, codeText, doneOf, downloadCsv, progressBar, statusBadge } from './campaigns-common.js';
import { confirmBox } from './dialog.js';
import { clear, h, headRow } from './dom.js';
import { part, say } from './notifications-common.js';
import { fmtDate } from './page.js';

/** How often a running campaign's view reads its counts and rate again. */
const REFRESH_MS = 2_000;

/**
 * A started campaign (issue 14): its status and why it waits, the buttons its status allows
 * (pause/resume/cancel), the progress bar with counts and rate (read again every 2 s while it runs),
 * the funnel queued → sent → delivered → read → replied, failures grouped by reason in words, and the
 * per-row export.
 */
export async function campaignProgress(
  root: HTMLElement,
  c: Campaign,
  reopen: () => void,
  home: () => void,
): Promise<void> {
  const head = part('cmp-progress', c.name);
  root.appendChild(head.el);
  const funnel = part('cmp-funnel', C('funnel'));
  root.appendChild(funnel.el);
  const draw = (cur: Campaign, report: CampaignReport) => {
    clear(head.body).append(summary(cur, report), buttons(cur, head.msg, reopen, home));
    clear(funnel.body).append(funnelTable(report), failures(report), exportButton(cur.id));
  };
  draw(c, await campaignsApi.report(c.id));
  let last = c.status;
  const tick = async () => {
    if (!head.el.isConnected) return;
    try {
      const [cur, report] = await Promise.all([campaignsApi.get(c.id), campaignsApi.report(c.id)]);
      if (!head.el.isConnected) return;
      draw(cur, report);
      last = cur.status;
    } catch {
      // A failed refresh keeps what is shown; the next one tries again.
    }
    if (last === 'running' || last === 'scheduled') setTimeout(() => void tick(), REFRESH_MS);
  };
  if (last === 'running' || last === 'scheduled') setTimeout(() => void tick(), REFRESH_MS);
}

function summary(c: Campaign, r: CampaignReport): HTMLElement {
  const why = codeText('why', c.statusReason) ?? c.statusReason;
  return h(
    'div',
    { id: 'cmp-summary', 'data-status': c.status },
    h(
      'p',
      {},
      statusBadge(c.status),
      why
        ? h('span', { class: 'muted', id: 'cmp-reason', text: ' ' + C('reasonPrefix', { reason: why }) })
        : null,
      c.startedAt ? h('span', { class: 'muted', text: ' · ' + fmtDate(c.startedAt, true) }) : null,
    ),
    h('p', {}, progressBar(doneOf(c), c.counts.total, 'cmp-bar')),
    h('p', {
      class: 'muted',
      id: 'cmp-rate',
      text: C('rateNow', { now: r.rate.perMinute, cap: r.rate.cap, allowed: r.rate.allowedPerMinute }),
    }),
  );
}

function buttons(c: Campaign, msg: HTMLElement, reopen: () => void, home: () => void): HTMLElement {
  const bar = h('div', { class: 'toolbar', id: 'cmp-buttons' });
  for (const action of actionsFrom(c.status)) {
    const b = h('button', {
      type: 'button',
      class: 'btn' + (action === 'cancel' ? '' : ' primary'),
      id: 'cmp-' + action,
      text: C(action),
    });
    const run = async () => {
      await campaignsApi.act(c.id, action);
      reopen();
    };
    b.onclick = async () => {
      clear(msg);
      if (action === 'cancel') {
        confirmBox(C('cancel'), C('confirmCancel'), C('cancel'), run);
        return;
      }
      b.disabled = true;
      try {
        await run();
      } catch (e) {
        say(msg, 'error', (e as Error).message);
        b.disabled = false;
      }
    };
    bar.appendChild(b);
  }
  // The states the server deletes in (a draft opens in the editor, so: finished or cancelled).
  if (DELETABLE_STATUSES.includes(c.status)) {
    const del = h('button', { type: 'button', class: 'btn', id: 'cmp-delete', text: C('remove') });
    del.onclick = () =>
      confirmBox(C('remove'), C('confirmRemove'), C('remove'), async () => {
        await campaignsApi.remove(c.id);
        home();
      });
    bar.appendChild(del);
  }
  return bar;
}

const STEPS = ['queued', 'sent', 'delivered', 'read', 'replied', 'failed'] as const;

function funnelTable(r: CampaignReport): HTMLElement {
  const top = Math.max(1, r.funnel.queued);
  return h(
    'table',
    { class: 'grid', id: 'cmp-funnel-table' },
    h(
      'tbody',
      {},
      STEPS.map((s) =>
        h(
          'tr',
          { 'data-step': s },
          h('th', { text: C(s) }),
          h('td', { text: r.funnel[s].toLocaleString() }),
          h('td', {}, h('progress', { max: top, value: Math.min(r.funnel[s], top), 'aria-label': C(s) })),
        ),
      ),
    ),
  );
}

function failures(r: CampaignReport): HTMLElement {
  if (!r.failures.length) return h('p', { class: 'muted', id: 'cmp-failures', text: C('noFailures') });
  return h(
    'div',
    { id: 'cmp-failures' },
    h('h2', { text: C('failures') }),
    h(
      'table',
      { class: 'grid' },
      headRow([C('reason'), C('failed')]),
      h(
        'tbody',
        {},
        r.failures.map((f) =>
          h(
            'tr',
            { 'data-code': f.code },
            h('td', { text: f.message || f.code }),
            h('td', { text: f.count }),
          ),
        ),
      ),
    ),
  );
}

function exportButton(id: number): HTMLElement {
  const b = h('button', { type: 'button', class: 'btn', id: 'cmp-rows-csv', text: C('downloadRows') });
  b.onclick = () => void downloadCsv(`/campaigns/${id}/rows.csv`);
  return h('div', { class: 'toolbar' }, b);
}
