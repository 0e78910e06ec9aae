import { api } from './api.js';
import { clear, h, headRow } from './dom.js';
import { N, refusalText, say, type NtfKey, type part } from './notifications-common.js';
import type { NtfGroup, NtfGroupReport, NtfPreset, NtfSchedule } from './notifications-types.js';
import { T } from './page.js';

/**
 * A group's "3- Reportes": per report whether the group receives it, its schedule (a preset or
 * custom weekdays LU…DO and hours) and a button that sends a test digest now (its refusal said in
 * words; the history, notifications-history.ts, shows it). The weekdays go to the server as the seed
 * writes them.
 */

type Part = ReturnType<typeof part>;
const SEED_DAYS = ['LU', 'MA', 'MI', 'JU', 'VI', 'SA', 'DO'];
const PRESETS: NtfPreset[] = ['working', 'extended', 'full_time', 'custom'];

export function groupReportsPart(p: Part, g: NtfGroup, reloadHistory: () => Promise<void>): void {
  const reports = g.group.reports;
  if (!reports.length) {
    clear(p.body).appendChild(h('p', { class: 'muted', id: 'ntf-no-reports', text: N('noReports') }));
    return;
  }
  const redraw = (next: NtfGroupReport[]) => {
    g.group.reports = next;
    groupReportsPart(p, g, reloadHistory);
  };
  clear(p.body).appendChild(
    h(
      'table',
      { id: 'ntf-group-reports-table' },
      headRow([N('colEnabled'), N('colReport'), N('colFrequency'), N('colHours'), '']),
      h(
        'tbody',
        {},
        reports.map((r) => reportRow(p, g, r, redraw, reloadHistory)),
      ),
    ),
  );
}

function reportRow(
  p: Part,
  g: NtfGroup,
  r: NtfGroupReport,
  redraw: (next: NtfGroupReport[]) => void,
  reloadHistory: () => Promise<void>,
): HTMLTableRowElement {
  const s = r.schedule;
  const enabled = h('input', {
    type: 'checkbox',
    name: 'enabled',
    checked: r.enabled,
    'aria-label': N('colEnabled') + ' ' + r.name,
  });
  const preset = h('select', { name: 'preset', 'aria-label': N('colFrequency') + ' ' + r.name });
  for (const x of PRESETS) {
    preset.appendChild(
      h('option', { value: x, text: N(('preset_' + x) as NtfKey), selected: x === s.preset }),
    );
  }
  const on = new Set(s.days.split(',').map((d) => SEED_DAYS.indexOf(d)));
  const shortNames = N('days').split(',');
  const longNames = N('dayNames').split(',');
  const days = h(
    'div',
    { class: 'ntf-days', role: 'group', 'aria-label': N('colFrequency') },
    SEED_DAYS.map((code, i) =>
      h(
        'label',
        { class: 'day', title: longNames[i] },
        h('input', {
          type: 'checkbox',
          name: 'day',
          value: code,
          checked: on.has(i),
          'aria-label': longNames[i],
        }),
        shortNames[i] ?? code,
      ),
    ),
  );
  const time = (name: 'from' | 'to', value: string) =>
    h('input', {
      type: 'time',
      name,
      value,
      step: 60,
      'aria-label': N(name) + ' ' + r.name,
      style: 'min-width:0',
    });
  const from = time('from', s.from);
  const to = time('to', s.to);
  const holidays = h(
    'label',
    { class: 'muted' },
    h('input', { type: 'checkbox', name: 'holidays', checked: s.holidays === 'allow' }),
    ' ' + N('holidays'),
  );
  const dash = h('span', { text: ' – ', 'aria-hidden': 'true' });
  const hoursText = h('span', { class: 'nowrap', text: `${s.from}–${s.to}` });
  const custom = () => preset.value === 'custom';
  const showCustom = () => {
    days.hidden = !custom();
    from.hidden = to.hidden = dash.hidden = holidays.hidden = !custom();
    hoursText.hidden = custom();
  };
  preset.onchange = showCustom;
  const save = h('button', {
    type: 'button',
    class: 'btn small success',
    'data-save': r.id,
    text: T('common.save'),
  });
  const test = h('button', {
    type: 'button',
    class: 'btn small',
    'data-test': r.id,
    text: N('testDigest'),
    title: N('testDigestLong', { name: r.name }),
    'aria-label': N('testDigestLong', { name: r.name }),
  });
  const schedule = (): Partial<NtfSchedule> & { preset: NtfPreset } => {
    if (!custom()) return { preset: preset.value as NtfPreset };
    const chosen = [...days.querySelectorAll<HTMLInputElement>('input[name=day]:checked')].map(
      (x) => x.value,
    );
    return {
      preset: 'custom',
      days: chosen.join(','),
      from: from.value,
      to: to.value,
      holidays: (holidays.querySelector('input') as HTMLInputElement).checked ? 'allow' : 'skip',
    };
  };
  const store = async () => {
    clear(p.msg);
    save.disabled = true;
    try {
      const next = await api.ntfSetGroupReport(g.group.id, r.id, {
        enabled: enabled.checked,
        schedule: schedule(),
      });
      redraw(next.reports);
      say(p.msg, 'ok', T('common.saved'));
    } catch (e) {
      say(p.msg, 'error', refusalText(e, g));
      save.disabled = false;
    }
  };
  save.onclick = () => void store();
  enabled.onchange = () => void store();
  test.onclick = async () => {
    clear(p.msg);
    test.disabled = true;
    try {
      await api.ntfTestDigest(g.group.id, r.id);
      say(p.msg, 'ok', N('testSent'));
      await reloadHistory();
    } catch (e) {
      say(p.msg, 'error', N('testRefused', { reason: refusalText(e, g) }));
    } finally {
      test.disabled = false;
    }
  };
  showCustom();
  return h(
    'tr',
    { 'data-report': r.id },
    h('td', {}, enabled),
    h('td', { text: r.name }),
    h('td', { class: 'ntf-freq' }, preset, days),
    h('td', { class: 'ntf-hours' }, hoursText, from, dash, to, holidays),
    h('td', { class: 'actions' }, h('div', { class: 'ntf-stack' }, save, test)),
  );
}
