import { LIMITS, type TemplateButton } from '../../templates/template-model.js';
import { clear, h, select, type Option } from './dom.js';
import { T } from './page.js';
import { fieldBox, isAuth, touch, type ButtonKind, type FormState } from './template-draft.js';

/**
 * The buttons of the request form (seed 001): none, quick replies, or call-to-action buttons (a link,
 * a phone number, a code to copy), never both; an Authentication template has its one copy-code
 * button. Each button's fields carry the rules' names (`buttons.0.text`…), so their problems show
 * next to them.
 */

type CtaType = 'URL' | 'PHONE_NUMBER' | 'COPY_CODE';

const CTA_MAX = LIMITS.urlButtons + LIMITS.phoneButtons + LIMITS.copyCodeButtons;

function blank(type: CtaType | 'QUICK_REPLY'): TemplateButton {
  switch (type) {
    case 'QUICK_REPLY':
      return { type, text: '' };
    case 'URL':
      return { type, text: '', url: '' };
    case 'PHONE_NUMBER':
      return { type, text: '', phoneNumber: '' };
    case 'COPY_CODE':
      return { type, example: '' };
  }
}

/** A text input bound to one property of a button. */
function prop(
  s: FormState,
  i: number,
  key: 'text' | 'url' | 'example' | 'phoneNumber',
  label: string,
  change: () => void,
  attrs: Record<string, string | number> = {},
): HTMLDivElement {
  const b = s.buttons[i] as Record<string, unknown>;
  const input = h('input', { type: 'text', value: typeof b[key] === 'string' ? b[key] : '', ...attrs });
  const field = `buttons.${i}.${key}`;
  input.addEventListener('input', () => {
    b[key] = input.value;
    touch(s, field);
    change();
  });
  return fieldBox(label, input, field);
}

function urlFields(s: FormState, i: number, change: () => void, redraw: () => void): HTMLElement[] {
  const b = s.buttons[i] as Extract<TemplateButton, { type: 'URL' }>;
  const hasVar = /\{\{1\}\}$/.test(b.url);
  const url = prop(
    s,
    i,
    'url',
    T('tpl.btn.url'),
    () => {
      // The example field appears once the link ends with {{1}}.
      if (/\{\{1\}\}$/.test(b.url) !== hasVar) redraw();
      change();
    },
    { placeholder: 'https://' },
  );
  const out = [prop(s, i, 'text', T('tpl.btn.text'), change, { maxlength: LIMITS.buttonText }), url];
  if (hasVar) out.push(prop(s, i, 'example', T('tpl.btn.urlExample'), change, { placeholder: 'https://' }));
  return out;
}

function ctaRow(s: FormState, i: number, change: () => void, redraw: () => void): HTMLElement {
  const b = s.buttons[i] as TemplateButton;
  const types: Option[] = [
    ['URL', T('tpl.btn.URL')],
    ['PHONE_NUMBER', T('tpl.btn.PHONE_NUMBER')],
    ['COPY_CODE', T('tpl.btn.COPY_CODE')],
  ];
  const kind = select(`button-${i}-type`, types, b.type);
  kind.addEventListener('change', () => {
    s.buttons[i] = blank(kind.value as CtaType);
    touch(s, `buttons.${i}`);
    redraw();
  });
  let fields: HTMLElement[];
  if (b.type === 'URL') fields = urlFields(s, i, change, redraw);
  else if (b.type === 'PHONE_NUMBER') {
    fields = [
      prop(s, i, 'text', T('tpl.btn.text'), change, { maxlength: LIMITS.buttonText }),
      prop(s, i, 'phoneNumber', T('tpl.btn.phone'), change, { placeholder: '+5491123456789' }),
    ];
  } else fields = [prop(s, i, 'example', T('tpl.btn.codeExample'), change, { maxlength: 15 })];
  return h(
    'div',
    { class: 'btn-row', 'data-button-row': i },
    fieldBox(T('tpl.btn.type'), kind, `buttons.${i}.type`),
    ...fields,
    removeButton(s, i, redraw),
  );
}

function quickRow(s: FormState, i: number, change: () => void, redraw: () => void): HTMLElement {
  return h(
    'div',
    { class: 'btn-row', 'data-button-row': i },
    prop(s, i, 'text', T('tpl.btn.quickText').replace('{n}', String(i + 1)), change, {
      maxlength: LIMITS.buttonText,
    }),
    removeButton(s, i, redraw),
  );
}

function removeButton(s: FormState, i: number, redraw: () => void): HTMLButtonElement {
  return h('button', {
    type: 'button',
    class: 'btn small remove',
    text: '✕',
    title: T('tpl.btn.remove'),
    'aria-label': T('tpl.btn.remove') + ' ' + (i + 1),
    onclick: () => {
      s.buttons.splice(i, 1);
      touch(s, 'buttons');
      redraw();
    },
  });
}

function otpEditor(s: FormState, change: () => void): HTMLElement {
  if (s.buttons.length !== 1 || s.buttons[0]?.type !== 'OTP') {
    s.buttons = [{ type: 'OTP', otpType: 'COPY_CODE', text: T('tpl.btn.copyCode') }];
  }
  return h(
    'div',
    {},
    h('p', { class: 'muted', text: T('tpl.btn.otpNote') }),
    h(
      'div',
      { class: 'btn-row' },
      prop(s, 0, 'text', T('tpl.btn.text'), change, { maxlength: LIMITS.buttonText }),
    ),
  );
}

/** The kind select and the buttons of that kind; redraws itself as buttons come and go. */
export function buttonsEditor(s: FormState, change: () => void): HTMLElement {
  const box = h('div', { class: 'buttons-editor' });
  const draw = (focusLast = false) => {
    clear(box);
    if (isAuth(s)) {
      box.appendChild(otpEditor(s, change));
      change();
      return;
    }
    if (s.buttons.some((b) => b.type === 'OTP')) {
      s.buttons = [];
      s.buttonKind = 'none';
    }
    const kinds: Option[] = [
      ['none', T('tpl.btn.none')],
      ['quick', T('tpl.btn.quick')],
      ['cta', T('tpl.btn.cta')],
    ];
    const kind = select('buttonKind', kinds, s.buttonKind);
    kind.addEventListener('change', () => {
      s.buttonKind = kind.value as ButtonKind;
      s.buttons =
        s.buttonKind === 'quick' ? [blank('QUICK_REPLY')] : s.buttonKind === 'cta' ? [blank('URL')] : [];
      touch(s, 'buttons');
      draw();
      box.querySelector<HTMLElement>('select[name=buttonKind]')?.focus();
    });
    box.appendChild(
      fieldBox(T('tpl.btn.kind'), kind, 'buttons', { hint: T(`tpl.btn.hint.${s.buttonKind}`) }),
    );
    const redraw = () => draw();
    const rows = s.buttons.map((_, i) =>
      s.buttonKind === 'quick' ? quickRow(s, i, change, redraw) : ctaRow(s, i, change, redraw),
    );
    box.append(...rows);
    const max = s.buttonKind === 'quick' ? LIMITS.quickReplies : CTA_MAX;
    if (s.buttonKind !== 'none' && s.buttons.length < max) {
      box.appendChild(
        h('button', {
          type: 'button',
          class: 'btn small',
          id: 'add-button',
          text: T('tpl.btn.add'),
          onclick: () => {
            s.buttons.push(blank(s.buttonKind === 'quick' ? 'QUICK_REPLY' : nextCta(s)));
            draw(true);
          },
        }),
      );
    }
    if (focusLast) box.querySelector<HTMLElement>('.btn-row:last-of-type input')?.focus();
    change();
  };
  draw();
  return box;
}

/** The next call-to-action type there is still room for. */
function nextCta(s: FormState): CtaType {
  const count = (t: string) => s.buttons.filter((b) => b.type === t).length;
  if (count('URL') < LIMITS.urlButtons) return 'URL';
  if (count('PHONE_NUMBER') < LIMITS.phoneButtons) return 'PHONE_NUMBER';
  return 'COPY_CODE';
}
