import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { api } from './api.js';
import { fill } from './billing-format.js';
import type { Consumption } from './billing-types.js';
import { clear, field, h, headRow, notice } from './dom.js';
import { boot, T } from './page.js';

/**
 * The Billing tab's use section: messages per channel and day over the last 30 days as a stacked bar
 * chart (Chart.js, bundled with the pages), the same figures as a table for screen readers and for
 * whoever prefers numbers, and the CSV exports of the ledger and of the use for a range of days.
 */

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const COLORS = ['#2fc6f6', '#9dcf00', '#ffa900', '#ff5752', '#8e52ec', '#1ea7d8', '#535c69', '#55d0e0'];
let chart: Chart<'bar'> | undefined;

const fail = (key: Parameters<typeof T>[0], e: unknown) =>
  notice('error', fill(T(key), { error: e instanceof Error ? e.message : String(e) }));

export async function usageSection(el: HTMLElement): Promise<void> {
  chart?.destroy();
  chart = undefined;
  try {
    draw(el, await api.consumption());
  } catch (e) {
    el.appendChild(fail('bill.usageFailed', e));
  }
  el.appendChild(exports());
}

const names = (c: Consumption) => c.series.map((s) => s.name ?? T('bill.noChannel'));
const shortDay = (d: string) =>
  new Date(d + 'T00:00:00Z').toLocaleDateString(boot.lang, {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });

function draw(el: HTMLElement, c: Consumption): void {
  const series = names(c);
  const perChannel = c.series.map((s, i) => `${series[i]}: ${s.units.reduce((a, b) => a + b, 0)}.`).join(' ');
  const summary = fill(T('bill.usageSummary'), { total: c.total, channels: perChannel });
  el.appendChild(
    h('p', { class: 'muted', id: 'bill-usage-summary', text: c.total ? summary : T('bill.usageEmpty') }),
  );
  const canvas = h('canvas', {
    role: 'img',
    'aria-label': summary,
    'aria-describedby': 'bill-usage-summary',
  });
  el.appendChild(h('div', { class: 'chart', id: 'bill-chart' }, canvas));
  chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: c.days.map(shortDay),
      datasets: c.series.map((s, i) => ({
        label: series[i] ?? '',
        data: s.units,
        backgroundColor: COLORS[i % COLORS.length] ?? '#2fc6f6',
        stack: 'use',
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      locale: boot.lang,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
  el.setAttribute('data-chart', 'drawn');
  el.appendChild(
    h(
      'details',
      { class: 'usage-table' },
      h('summary', { text: T('bill.usageTable') }),
      h(
        'table',
        { id: 'bill-usage-table' },
        h('caption', { class: 'muted', text: summary }),
        headRow([T('bill.day'), ...series, T('bill.total')]),
        h(
          'tbody',
          {},
          c.days.map((d, di) => {
            const row = c.series.map((s) => s.units[di] ?? 0);
            return h(
              'tr',
              { 'data-day': d },
              h('th', { scope: 'row', text: shortDay(d) }),
              row.map((n) => h('td', { text: n })),
              h('td', { text: row.reduce((a, b) => a + b, 0) }),
            );
          }),
        ),
      ),
    ),
  );
}

/** The export form: a range of days (the last 30 by default) and a button per file. */
function exports(): HTMLElement {
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  const from = h('input', { type: 'date', name: 'from', value: day(Date.now() - 29 * 86_400_000) });
  const to = h('input', { type: 'date', name: 'to', value: day(Date.now()) });
  const msg = h('div', { id: 'bill-export-msg' });
  const button = (id: string, label: string, path: string) => {
    const b = h('button', { type: 'button', class: 'btn', id, text: label });
    b.onclick = async () => {
      clear(msg);
      b.disabled = true;
      try {
        const file = await api.csv(path, { from: from.value, to: to.value });
        const url = URL.createObjectURL(file.blob);
        const a = h('a', { href: url, download: file.name });
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      } catch (e) {
        msg.appendChild(fail('bill.exportFailed', e));
      } finally {
        b.disabled = false;
      }
    };
    return b;
  };
  return h(
    'div',
    { class: 'export' },
    h('h3', { text: T('bill.export') }),
    h(
      'div',
      { class: 'toolbar' },
      field(T('bill.exportFrom'), from),
      field(T('bill.exportTo'), to),
      button('bill-export-ledger', T('bill.exportLedger'), '/billing/ledger.csv'),
      button('bill-export-usage', T('bill.exportUsage'), '/billing/consumption.csv'),
    ),
    msg,
  );
}
