import { nonGsmChars, smsLength } from '../../sms/length.js';
import { clear, h, headRow } from './dom.js';
import { part, say } from './notifications-common.js';
import { smsApi, type SmsMessage, type SmsSettings, type SmsStatus } from './sms-api.js';
import { S, type SmsKey } from './sms-common.js';
import { boot, fmtDate, T } from './page.js';

/**
 * "Send a test SMS": a number, the text, "no accents", and the length counted live in the browser by
 * the same code the server refuses with (modules/sms/length.ts): GSM-7 or UCS-2 (and which characters
 * made it UCS-2), parts of the portal's maximum, the parts "no accents" saves. The send goes through
 * POST /sms/messages; a refusal shows in the server's words. Below, the latest SMS with their status.
 */

const BADGE: Record<SmsStatus, string> = {
  queued: 'queued',
  accepted: 'pending',
  delivered: 'delivered',
  undelivered: 'failed',
  failed: 'failed',
};

export function sendPart(p: ReturnType<typeof part>, settings: () => SmsSettings): void {
  const s = settings();
  const to = h('input', { type: 'tel', name: 'to', autocomplete: 'off', placeholder: '+48 500 100 200' });
  const text = h('textarea', { name: 'text', rows: 4, maxlength: 5000 });
  const noAccents = h('input', { type: 'checkbox', name: 'noAccents', checked: s.noAccents });
  const counter = h('p', { id: 'sms-counter', 'aria-live': 'polite' });
  const why = h('p', { id: 'sms-ucs', class: 'muted' });
  const saving = h('p', { id: 'sms-saving', class: 'muted' });
  const send = h('button', { type: 'button', class: 'btn primary', id: 'sms-send', text: S('send') });
  const log = h('div', { id: 'sms-log' });
  clear(p.body).append(
    h('div', { class: 'toolbar' }, h('label', { class: 'f' }, S('to'), to)),
    h('label', { class: 'f wide' }, S('text'), text),
    h(
      'p',
      { style: 'margin-top:8px' },
      h('label', { class: 'choice', style: 'display:inline-flex' }, noAccents, S('noAccentsOnce')),
    ),
    counter,
    why,
    saving,
    h('div', { class: 'toolbar' }, send),
    h('h2', { text: S('recent') }),
    log,
  );

  const count = (): ReturnType<typeof smsLength> => {
    const l = smsLength(text.value, { noAccents: noAccents.checked, maxParts: settings().maxParts });
    counter.setAttribute('data-encoding', l.encoding);
    counter.setAttribute('data-parts', String(l.parts));
    counter.className = l.overLimit ? 'err' : '';
    counter.textContent = l.overLimit
      ? S('overLimit', { parts: l.parts, max: l.maxParts })
      : S('counter', {
          encoding: l.encoding,
          chars: l.chars,
          parts: l.parts,
          max: l.maxParts,
          per: l.perPart,
        });
    const odd = l.encoding === 'UCS-2' ? nonGsmChars(l.text) : [];
    why.textContent = odd.length ? S('ucsWhy', { chars: odd.slice(0, 12).join(' ') }) : '';
    saving.textContent = l.saving
      ? S('saving', { before: l.saving.partsBefore, after: l.saving.partsAfter })
      : '';
    send.disabled = l.parts === 0 || l.overLimit;
    return l;
  };
  text.addEventListener('input', count);
  noAccents.addEventListener('change', count);
  count();

  send.onclick = async () => {
    clear(p.msg);
    if (text.value.trim() === '') {
      say(p.msg, 'error', S('empty'));
      return;
    }
    send.disabled = true;
    try {
      const r = await smsApi.send(to.value.trim(), text.value, noAccents.checked);
      say(p.msg, 'ok', S('queued', { parts: r.length.parts }));
      await showLog(log);
    } catch (e) {
      say(p.msg, 'error', e instanceof Error ? e.message : String(e));
    } finally {
      count();
    }
  };
  void showLog(log);
}

/** SMSAPI's error codes (reference §4.3) and ours, said in the page's language where we know them. */
const REASONS: Record<string, SmsKey> = {
  token_missing: 'why_token_missing',
  token_reenter: 'why_token_reenter',
  token_rejected: 'why_token_rejected',
  smsapi_101: 'why_token_rejected',
  smsapi_102: 'why_token_rejected',
  no_points: 'why_no_points',
  smsapi_103: 'why_no_points',
  phone_invalid: 'why_phone_invalid',
  smsapi_13: 'why_phone_invalid',
  country_not_allowed: 'why_country_not_allowed',
  sender_not_approved: 'why_sender_not_approved',
  smsapi_14: 'why_sender_not_approved',
  too_long: 'why_too_long',
  smsapi_12: 'why_too_long',
  not_configured: 'why_not_configured',
};

function reason(m: SmsMessage): string {
  const key = m.errorCode ? REASONS[m.errorCode] : undefined;
  return key ? S(key) : (m.error ?? m.errorCode ?? '');
}

async function showLog(el: HTMLElement): Promise<void> {
  let items: SmsMessage[];
  try {
    items = (await smsApi.messages(1)).items.slice(0, 10);
  } catch (e) {
    clear(el).appendChild(h('p', { class: 'err', text: e instanceof Error ? e.message : String(e) }));
    return;
  }
  const refresh = h('button', {
    type: 'button',
    class: 'btn small',
    id: 'sms-log-refresh',
    text: S('refresh'),
  });
  refresh.onclick = () => void showLog(el);
  clear(el).appendChild(h('div', { class: 'toolbar' }, refresh));
  if (!items.length) {
    el.appendChild(h('p', { class: 'muted', text: S('none') }));
    return;
  }
  const row = (m: SmsMessage) =>
    h(
      'tr',
      { 'data-sms': String(m.id), 'data-status': m.status },
      h('td', { class: 'nowrap', text: fmtDate(m.createdAt, true) }),
      h('td', { class: 'number', text: m.to }),
      h('td', {}, h('span', { class: 'badge ' + BADGE[m.status], text: S(`st_${m.status}` as SmsKey) })),
      h('td', { text: m.parts === null ? T('common.none') : String(m.parts) }),
      h('td', { text: m.points === null ? T('common.none') : m.points.toLocaleString(boot.lang) }),
      h('td', { class: 'reason', 'data-code': m.errorCode, text: reason(m) }),
    );
  el.appendChild(
    h(
      'table',
      { id: 'sms-log-table' },
      headRow([S('colWhen'), S('colTo'), S('colStatus'), S('colParts'), S('colPoints'), S('colError')]),
      h('tbody', {}, items.map(row)),
    ),
  );
}
