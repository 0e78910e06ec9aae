import { api, ApiError } from './api.js';
import { clear, field, h, notice } from './dom.js';
import { markFieldIssues, part, say } from './notifications-common.js';
import { smsApi, type SmsSettings, type SmsSettingsChange } from './sms-api.js';
import { S } from './sms-common.js';
import { sendPart } from './sms-send.js';
import type { ChannelDetails } from './types.js';
import { boot, T, view } from './page.js';

/**
 * The SMS tab (issue 15): the portal's SMSAPI account (a write-only token with its state, the sender
 * name, time-out, test mode, the balance), the sending rules (consent field, countries, parts, no
 * accents, the WhatsApp channels that fall back to SMS), the registration as Bitrix24's SMS provider,
 * and a test send with the live length counter (sms-send.ts). Portal admins only, as the API is.
 */

export async function smsTab(): Promise<void> {
  clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
  if (!boot.admin) return adminOnly();
  let settings: SmsSettings;
  let fields: Array<{ code: string; label: string }>;
  let channels: ChannelDetails[];
  try {
    [settings, fields, channels] = await Promise.all([
      smsApi.settings(),
      smsApi.consentFields().catch(() => []),
      api.channels().then((r) => r.items),
    ]);
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return adminOnly();
    clear(view).appendChild(
      notice('error', S('loadFailed', { error: e instanceof Error ? e.message : String(e) })),
    );
    return;
  }
  clear(view).appendChild(h('p', { class: 'muted', text: S('intro') }));
  let current = settings;
  const form = part('sms-settings', S('account'));
  view.appendChild(form.el);
  settingsPart(form, settings, fields, channels, (saved) => {
    current = saved;
    // the counter follows a new maximum of parts at once
    document.querySelector('#sms-test textarea')?.dispatchEvent(new Event('input'));
  });
  const provider = part('sms-provider', S('provider'));
  view.appendChild(provider.el);
  providerPart(provider, settings.providerRegistered);
  const test = part('sms-test', S('test'));
  view.appendChild(test.el);
  sendPart(test, () => current);
}

function adminOnly(): void {
  const box = notice('info', S('adminOnly'));
  box.id = 'sms-admin-only';
  clear(view).appendChild(box);
}

const TOKEN_STATE = {
  ok: { badge: 'active', key: 'tokenOk' },
  missing: { badge: 'pending', key: 'tokenMissing' },
  reenter: { badge: 'failed', key: 'tokenReenter' },
} as const;

function checkbox(name: string, on: boolean, label: string): HTMLLabelElement {
  return h(
    'label',
    { class: 'choice', style: 'display:inline-flex' },
    h('input', { type: 'checkbox', name, checked: on }),
    label,
  );
}

function settingsPart(
  p: ReturnType<typeof part>,
  s: SmsSettings,
  fields: Array<{ code: string; label: string }>,
  channels: ChannelDetails[],
  onSaved: (s: SmsSettings) => void,
): void {
  const state = TOKEN_STATE[s.tokenState];
  const token = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'new-password',
    spellcheck: 'false',
    maxlength: 500,
    placeholder: s.tokenState === 'ok' ? S('tokenKeep') : '',
    style: 'width:320px',
  });
  const sender = h('input', { type: 'text', name: 'senderName', value: s.senderName ?? '', maxlength: 16 });
  const timeout = h('input', {
    type: 'number',
    name: 'timeoutMs',
    min: 1,
    max: 60,
    step: 1,
    value: Math.round(s.timeoutMs / 1000),
    style: 'width:90px',
  });
  const consent = h('select', { name: 'consentField' });
  consent.appendChild(h('option', { value: '', text: S('consentNone'), selected: s.consentField === null }));
  const known = s.consentField && !fields.some((f) => f.code === s.consentField);
  for (const f of known ? [...fields, { code: s.consentField!, label: s.consentField! }] : fields) {
    consent.appendChild(h('option', { value: f.code, text: f.label, selected: f.code === s.consentField }));
  }
  const countries = h('input', {
    type: 'text',
    name: 'allowedCountries',
    value: s.allowedCountries.join(', '),
    placeholder: 'PL, AR, BR',
    autocomplete: 'off',
  });
  const defaultCountry = h('input', {
    type: 'text',
    name: 'defaultCountry',
    value: s.defaultCountry,
    maxlength: 2,
    autocomplete: 'off',
    style: 'min-width:0;width:70px;text-transform:uppercase',
  });
  const maxParts = h('input', {
    type: 'number',
    name: 'maxParts',
    min: 1,
    max: 6,
    step: 1,
    value: s.maxParts,
  });
  const fallback = h(
    'div',
    { name: 'fallbackChannelIds', class: 'choices' },
    channels.length
      ? channels.map((c) =>
          h(
            'label',
            { class: 'choice' },
            h('input', {
              type: 'checkbox',
              'data-channel': c.id,
              checked: s.fallbackChannelIds.includes(c.id),
            }),
            `${c.name} (+${c.sourceNumber})`,
          ),
        )
      : h('span', { class: 'muted', text: S('noChannels') }),
  );
  const save = h('button', { type: 'button', class: 'btn primary', id: 'sms-save', text: T('common.save') });
  const form = h('div', { id: 'sms-form' });
  clear(p.body).appendChild(form);
  if (s.tokenState === 'reenter') {
    const box = notice('error', S('tokenReenterText'));
    box.id = 'sms-reenter';
    form.appendChild(box);
  }
  form.append(
    h(
      'p',
      { id: 'sms-state' },
      h('span', {
        class: 'badge ' + state.badge,
        id: 'sms-token-state',
        'data-state': s.tokenState,
        text: S(state.key),
      }),
      ' ',
      h('span', {
        class: s.configured ? 'ok' : 'muted',
        text: S(s.configured ? 'configured' : 'notConfigured'),
      }),
      ' · ',
      h('span', { class: 'muted', text: S('balance') + ': ' }),
      h('strong', {
        id: 'sms-balance',
        text: s.balance ? S('points', { n: s.balance.points.toLocaleString(boot.lang) }) : S('noBalance'),
      }),
    ),
    h(
      'div',
      { class: 'toolbar' },
      field(S('token'), token),
      field(S('sender'), sender),
      field(S('timeout'), timeout),
    ),
    h('p', { class: 'muted', text: S('tokenHelp') + ' ' + S('senderHelp') }),
    h('p', {}, checkbox('testMode', s.testMode, S('testMode'))),
    h('h2', { text: S('rules') }),
    h(
      'div',
      { class: 'toolbar' },
      field(S('consent'), consent),
      field(S('countries'), countries),
      field(S('defaultCountry'), defaultCountry),
      field(S('maxParts'), maxParts),
    ),
    h('p', { class: 'muted', text: `${S('consentHelp')} ${S('countriesHelp')} ${S('maxPartsHelp')}` }),
    h('p', {}, checkbox('noAccents', s.noAccents, S('noAccents'))),
    h('h2', { text: S('fallback') }),
    h('p', { class: 'muted', text: S('fallbackHelp') }),
    fallback,
    h('div', { class: 'toolbar', style: 'margin-top:14px' }, save),
  );
  save.onclick = async () => {
    clear(p.msg);
    const change = readForm(form, s);
    if (typeof change === 'string') {
      say(p.msg, 'error', change);
      return;
    }
    save.disabled = true;
    try {
      const saved = await smsApi.save(change);
      settingsPart(p, saved, fields, channels, onSaved);
      onSaved(saved);
      say(p.msg, 'ok', T('common.saved'));
    } catch (e) {
      if (!markFieldIssues(form, e, 'sms-err-')) {
        say(p.msg, 'error', e instanceof Error ? e.message : String(e));
      }
    } finally {
      save.disabled = false;
    }
  };
}

const input = (form: HTMLElement, name: string) => form.querySelector<HTMLInputElement>(`[name="${name}"]`)!;

/** The form as a change (the token only when one was typed), or what is wrong with it. */
function readForm(form: HTMLElement, s: SmsSettings): SmsSettingsChange | string {
  const countries = input(form, 'allowedCountries')
    .value.split(/[\s,;]+/)
    .filter(Boolean)
    .map((c) => c.toUpperCase());
  const def = input(form, 'defaultCountry').value.trim().toUpperCase();
  if (!countries.every((c) => /^[A-Z]{2}$/.test(c)) || !/^[A-Z]{2}$/.test(def)) return S('countriesBad');
  const maxParts = Number(input(form, 'maxParts').value);
  if (!Number.isInteger(maxParts) || maxParts < 1 || maxParts > 6) return S('maxPartsHelp');
  const seconds = Number(input(form, 'timeoutMs').value);
  const timeoutMs = Number.isFinite(seconds)
    ? Math.min(60, Math.max(1, Math.round(seconds))) * 1000
    : s.timeoutMs;
  const consent = form.querySelector<HTMLSelectElement>('[name=consentField]')!.value;
  const sender = input(form, 'senderName').value.trim();
  const token = input(form, 'token').value.trim();
  const change: SmsSettingsChange = {
    senderName: sender || null,
    timeoutMs,
    testMode: input(form, 'testMode').checked,
    consentField: consent || null,
    allowedCountries: countries,
    defaultCountry: def,
    maxParts,
    noAccents: input(form, 'noAccents').checked,
    fallbackChannelIds: [...form.querySelectorAll<HTMLInputElement>('input[data-channel]')]
      .filter((c) => c.checked)
      .map((c) => c.getAttribute('data-channel') ?? ''),
  };
  if (token) change.token = token;
  return change;
}

function providerPart(p: ReturnType<typeof part>, registered: boolean): void {
  const status = h('p', { id: 'sms-provider-status', text: S(registered ? 'registered' : 'notRegistered') });
  const btn = h('button', {
    type: 'button',
    class: 'btn',
    id: 'sms-register',
    text: S(registered ? 'registerAgain' : 'register'),
  });
  clear(p.body).append(status, btn);
  btn.onclick = async () => {
    clear(p.msg);
    btn.disabled = true;
    try {
      await smsApi.register();
      providerPart(p, true);
      say(p.msg, 'ok', S('registerDone'));
    } catch (e) {
      say(p.msg, 'error', e instanceof Error ? e.message : String(e));
    } finally {
      btn.disabled = false;
    }
  };
}
