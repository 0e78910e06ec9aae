import { api } from './api.js';
import { clear, field, h } from './dom.js';
import { N, refusalText, say, type part } from './notifications-common.js';
import type { NtfOverview } from './notifications-types.js';
import { T } from './page.js';

/**
 * The portal admins' settings of the notifications: the country (holidays and how numbers are read),
 * the time zone the hours are in, and the least time between two digests of a group (15–1440
 * minutes). Checked here first, then by the server; its refusal shows in the part's message.
 */

const INTERVAL = { min: 15, max: 1440 } as const;

function zones(current: string): string[] {
  let all: string[] = [];
  try {
    all = Intl.supportedValuesOf('timeZone');
  } catch {
    all = [];
  }
  return all.includes(current) ? all : [current, ...all];
}

export function settingsPart(p: ReturnType<typeof part>, o: NtfOverview): void {
  const country = h('input', {
    type: 'text',
    name: 'country',
    value: o.country,
    maxlength: 2,
    size: 4,
    autocomplete: 'off',
    style: 'min-width:0;width:80px;text-transform:uppercase',
  });
  const zone = h('select', { name: 'timeZone' });
  for (const z of zones(o.timeZone)) {
    zone.appendChild(h('option', { value: z, text: z, selected: z === o.timeZone }));
  }
  const interval = h('input', {
    type: 'number',
    name: 'digestIntervalMinutes',
    min: INTERVAL.min,
    max: INTERVAL.max,
    step: 1,
    value: o.digestIntervalMinutes,
    inputmode: 'numeric',
    style: 'width:110px',
  });
  const save = h('button', {
    type: 'button',
    class: 'btn primary',
    id: 'ntf-settings-save',
    text: T('common.save'),
  });
  clear(p.body).appendChild(
    h(
      'div',
      { class: 'toolbar' },
      field(N('country'), country),
      field(N('timeZone'), zone),
      field(N('interval'), interval),
      save,
    ),
  );
  p.body.appendChild(
    h('p', {
      class: 'muted',
      text: N('callingCodes', { codes: o.allowedCallingCodes.map((c) => '+' + c).join(', ') }),
    }),
  );
  save.onclick = async () => {
    clear(p.msg);
    const minutes = Number(interval.value);
    if (!Number.isInteger(minutes) || minutes < INTERVAL.min || minutes > INTERVAL.max) {
      say(p.msg, 'error', N('intervalBad'));
      interval.focus();
      return;
    }
    if (!/^[A-Za-z]{2}$/.test(country.value.trim())) {
      say(p.msg, 'error', N('countryBad'));
      country.focus();
      return;
    }
    save.disabled = true;
    try {
      const saved = await api.ntfSettings({
        country: country.value.trim().toUpperCase(),
        timeZone: zone.value,
        digestIntervalMinutes: minutes,
      });
      country.value = saved.country;
      interval.value = String(saved.digestIntervalMinutes);
      say(p.msg, 'ok', T('common.saved'));
    } catch (e) {
      say(p.msg, 'error', refusalText(e, o));
    } finally {
      save.disabled = false;
    }
  };
}
