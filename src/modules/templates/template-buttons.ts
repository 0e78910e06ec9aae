/**
 * The button rules of a template (reference gupshup.md §4.4; seed 001): counts per kind, texts, links,
 * phone numbers, copy codes. Quick replies and call-to-action buttons (link, phone, copy code) never go
 * together — the seed's and SPEC C6's rule, stricter than Gupshup, which allows grouped mixes. PURE.
 */
import { BUTTON_TYPES, LIMITS, type AddIssue as Add, type TemplateButton } from './template-model.js';

const CALL_TO_ACTION = new Set(['URL', 'PHONE_NUMBER', 'COPY_CODE']);

/** `{{1}}` at the very end of a link, the only variable a button link may have. */
const TRAILING_VARIABLE = /\{\{1\}\}$/;

export function checkButtons(
  buttons: readonly TemplateButton[],
  category: string | undefined,
  add: Add,
): void {
  const count = (type: string) => buttons.filter((b) => b.type === type).length;
  if (buttons.length > LIMITS.buttons) {
    add('buttons', 'buttons_too_many', { max: LIMITS.buttons, count: buttons.length });
  }
  const limits = [
    ['QUICK_REPLY', LIMITS.quickReplies, 'quick_replies_too_many'],
    ['URL', LIMITS.urlButtons, 'url_buttons_too_many'],
    ['PHONE_NUMBER', LIMITS.phoneButtons, 'phone_buttons_too_many'],
    ['COPY_CODE', LIMITS.copyCodeButtons, 'copy_code_buttons_too_many'],
  ] as const;
  for (const [type, max, code] of limits) {
    if (count(type) > max) add('buttons', code, { max, count: count(type) });
  }
  if (count('QUICK_REPLY') > 0 && buttons.some((b) => CALL_TO_ACTION.has(b.type))) {
    add('buttons', 'buttons_mixed');
  }
  const texts = new Set<string>();
  buttons.forEach((b, i) => {
    checkButton(`buttons.${i}`, b, category, add);
    const text = 'text' in b && b.text ? b.text.trim() : '';
    if (text && texts.has(text.toLowerCase())) add(`buttons.${i}.text`, 'button_text_repeated', { text });
    if (text) texts.add(text.toLowerCase());
  });
}

function checkButton(field: string, b: TemplateButton, category: string | undefined, add: Add): void {
  if (!(BUTTON_TYPES as readonly string[]).includes(b.type)) {
    add(`${field}.type`, 'button_type_invalid');
    return;
  }
  switch (b.type) {
    case 'QUICK_REPLY':
      checkText(field, b.text, true, add);
      return;
    case 'URL':
      checkText(field, b.text, true, add);
      checkUrl(field, b.url, b.example, add);
      return;
    case 'PHONE_NUMBER':
      checkText(field, b.text, true, add);
      if (!/^\+[1-9]\d{7,14}$/.test(b.phoneNumber)) add(`${field}.phoneNumber`, 'button_phone_invalid');
      return;
    case 'COPY_CODE':
      if (category && category !== 'MARKETING') add(`${field}.type`, 'copy_code_marketing_only');
      if (!b.example.trim()) add(`${field}.example`, 'copy_code_example_required');
      else if (b.example.length > LIMITS.copyCodeExample) {
        add(`${field}.example`, 'copy_code_example_too_long', { max: LIMITS.copyCodeExample });
      }
      return;
    case 'OTP':
      if (category && category !== 'AUTHENTICATION') add(`${field}.type`, 'otp_authentication_only');
      if (b.otpType !== 'COPY_CODE') add(`${field}.otpType`, 'otp_type_invalid');
      checkText(field, b.text ?? '', false, add);
      return;
  }
}

function checkText(field: string, text: string, required: boolean, add: Add): void {
  const t = text.trim();
  if (!t && required) add(`${field}.text`, 'button_text_required');
  if (t.length > LIMITS.buttonText) {
    add(`${field}.text`, 'button_text_too_long', { max: LIMITS.buttonText, length: t.length });
  }
}

/** An https link; at most one variable, `{{1}}`, at its very end, with a full example link. */
function checkUrl(field: string, url: string, example: string | undefined, add: Add): void {
  const variable = TRAILING_VARIABLE.test(url);
  const fixed = variable ? url.replace(TRAILING_VARIABLE, '') : url;
  if (/\{\{|\}\}/.test(fixed)) add(`${field}.url`, 'button_url_variable');
  if (!isHttps(variable ? `${fixed}x` : fixed)) {
    add(`${field}.url`, 'button_url_invalid');
    return;
  }
  if (!variable) return;
  const ex = (example ?? '').trim();
  if (!ex) add(`${field}.example`, 'button_url_example_required');
  else if (!ex.startsWith(fixed) || ex.length === fixed.length || !isHttps(ex) || /\s/.test(ex)) {
    add(`${field}.example`, 'button_url_example_invalid', { prefix: fixed });
  }
}

function isHttps(s: string): boolean {
  if (/\s/.test(s)) return false;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' && u.hostname.includes('.');
  } catch {
    return false;
  }
}
