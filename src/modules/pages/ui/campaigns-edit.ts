import { api } from './api.js';
import { agentsPicker } from './campaigns-agents.js';
import { campaignsApi, type Campaign, type CampaignInput } from './campaigns-api.js';
import { C } from './campaigns-common.js';
import { listPart } from './campaigns-list.js';
import { confirmBox } from './dialog.js';
import { clear, field, h, select } from './dom.js';
import { markFieldIssues, part, say } from './notifications-common.js';
import { T } from './page.js';
import type { TemplateView } from './template-types.js';

/**
 * A draft campaign (or a new one): its settings (name, channel, approved template, working-hours
 * window and time zone, start time, rate cap, who gets the replies) and, once saved, its list with
 * the preview (campaigns-list.ts) and the start button.
 */
export async function campaignEditor(
  root: HTMLElement,
  c: Campaign | null,
  reopen: (id: number) => void,
  home: () => void,
): Promise<void> {
  const [channels, lines] = await Promise.all([
    api.channels().then((r) => r.items),
    api
      .lines()
      .then((r) => r.items)
      .catch(() => []),
  ]);
  const settings = part('cmp-settings', c ? c.name : C('newCampaign'));
  root.appendChild(settings.el);
  const form = h('div', { id: 'cmp-form' });
  settings.body.appendChild(form);

  const name = h('input', {
    type: 'text',
    name: 'name',
    maxlength: 200,
    value: c?.name ?? '',
    required: true,
  });
  const channel = select(
    'channelId',
    channels.map((ch) => [ch.id, `${ch.name} (+${ch.sourceNumber})`]),
    c?.channelId ?? channels[0]?.id,
  );
  const template = h('select', { name: 'templateId' });
  const templateNote = h('span', { class: 'muted' });
  const fillTemplates = async () => {
    clear(template);
    clear(templateNote);
    const all: TemplateView[] = channel.value ? (await api.templates(channel.value)).templates : [];
    const usable = all.filter((t) => t.status === 'approved' && t.active);
    for (const t of usable) {
      template.appendChild(
        h('option', {
          value: t.id,
          text: `${t.displayName} (${t.language})`,
          selected: t.id === c?.templateId,
        }),
      );
    }
    if (!usable.length) templateNote.textContent = C('noTemplates');
  };
  channel.onchange = () => void fillTemplates();
  await fillTemplates();

  const win = c?.window ?? { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' };
  const dayNames = C('weekdays').split(',');
  const days = h(
    'div',
    { class: 'choices', id: 'cmp-days' },
    dayNames.map((d, i) =>
      h(
        'label',
        { class: 'choice' },
        h('input', { type: 'checkbox', 'data-day': i + 1, checked: win.days.includes(i + 1) }),
        d,
      ),
    ),
  );
  const from = h('input', { type: 'time', name: 'from', value: win.from });
  const to = h('input', { type: 'time', name: 'to', value: win.to === '24:00' ? '23:59' : win.to });
  const zone = h('input', {
    type: 'text',
    name: 'timeZone',
    value: c?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    maxlength: 64,
  });
  const startAt = h('input', {
    type: 'datetime-local',
    name: 'startAt',
    value: localInput(c?.startAt ?? null),
  });
  const rate = h('input', {
    type: 'number',
    name: 'ratePerMinute',
    min: 1,
    max: 6000,
    step: 1,
    value: c?.ratePerMinute ?? 60,
    style: 'width:110px',
  });
  const replyLine = select(
    'replyLineId',
    [['', C('replyLineDefault')], ...lines.map((l): [number, string] => [l.id, l.name])],
    c?.replyLineId ?? '',
  );
  const replyUsers = agentsPicker(c?.replyUserIds ?? []);
  const save = h('button', {
    type: 'button',
    class: 'btn primary',
    id: 'cmp-save',
    text: c ? T('common.save') : C('create'),
  });
  form.append(
    h('div', { class: 'toolbar' }, field(C('name'), name), field(C('channel'), channel)),
    h('div', { class: 'toolbar' }, field(C('template'), template), templateNote),
    h('h2', { text: C('days') }),
    days,
    h(
      'div',
      { class: 'toolbar' },
      field(C('from'), from),
      field(C('to'), to),
      field(C('timeZone'), zone),
      field(C('startAt'), startAt),
    ),
    h('p', { class: 'muted', text: C('windowHelp') }),
    h('div', { class: 'toolbar' }, field(C('rate'), rate), field(C('replyLine'), replyLine)),
    // Not a <label>: the picker holds labels of its own.
    h('div', { class: 'f', style: 'margin-top:8px' }, h('span', { text: C('replyUsers') }), replyUsers.el),
    h('div', { class: 'toolbar', style: 'margin-top:14px' }, save),
  );
  save.onclick = async () => {
    clear(settings.msg);
    const input: CampaignInput = {
      name: name.value.trim(),
      channelId: channel.value,
      templateId: template.value,
      replyLineId: replyLine.value ? Number(replyLine.value) : null,
      replyUserIds: replyUsers.value(),
      window: {
        days: [...days.querySelectorAll<HTMLInputElement>('input[data-day]')]
          .filter((d) => d.checked)
          .map((d) => Number(d.getAttribute('data-day'))),
        from: from.value,
        to: to.value === '23:59' ? '24:00' : to.value,
      },
      timeZone: zone.value.trim(),
      startAt: startAt.value ? new Date(startAt.value).toISOString() : null,
      ratePerMinute: Number(rate.value),
    };
    save.disabled = true;
    try {
      const saved = c ? await campaignsApi.update(c.id, input) : await campaignsApi.create(input);
      if (c) say(settings.msg, 'ok', T('common.saved'));
      else reopen(saved.id);
    } catch (e) {
      if (!markFieldIssues(form, e, 'cmp-err-')) say(settings.msg, 'error', (e as Error).message);
    } finally {
      save.disabled = false;
    }
  };
  if (!c) return;

  const list = part('cmp-list', C('list'));
  root.appendChild(list.el);
  await listPart(list, c);
  root.appendChild(actions(c, reopen, home));
}

/** Start (the list must be ready) or delete the draft. */
function actions(c: Campaign, reopen: (id: number) => void, home: () => void): HTMLElement {
  const msg = h('div', { id: 'cmp-actions-msg', 'aria-live': 'polite' });
  const start = h('button', { type: 'button', class: 'btn primary', id: 'cmp-start', text: C('start') });
  const remove = h('button', { type: 'button', class: 'btn', id: 'cmp-delete', text: C('remove') });
  start.onclick = async () => {
    clear(msg);
    start.disabled = true;
    try {
      await campaignsApi.act(c.id, 'start');
      reopen(c.id);
    } catch (e) {
      say(msg, 'error', (e as Error).message);
      start.disabled = false;
    }
  };
  remove.onclick = () =>
    confirmBox(C('remove'), C('confirmRemove'), C('remove'), async () => {
      await campaignsApi.remove(c.id);
      home();
    });
  return h(
    'section',
    { class: 'ntf card-part', id: 'cmp-actions' },
    msg,
    h('div', { class: 'toolbar' }, start, remove),
  );
}

/** An ISO time as a datetime-local input's value (the viewer's local time). */
function localInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
