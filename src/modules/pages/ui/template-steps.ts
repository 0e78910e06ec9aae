import {
  LANGUAGE_SUGGESTIONS,
  LIMITS,
  placeholders,
  TEMPLATE_CATEGORIES,
  TEMPLATE_TYPES,
} from '../../templates/template-rules.js';
import { h, notice, select, type Option } from './dom.js';
import { boot, T } from './page.js';
import { buttonsEditor } from './template-buttons-editor.js';
import { bodyOf, fieldBox, headerOf, isAuth, paramCount, touch, type FormState } from './template-draft.js';
import { fileControl, mediaHint, mediaInput } from './template-media.js';
import type { Line } from './types.js';

/**
 * The steps of the request form (seed 001): names → language, category, type and buttons → content →
 * the parameters' names and examples → confirm. Each builds its fields once, bound to the form's
 * state; `change` runs the rules and redraws the preview after every keystroke.
 */

export interface StepCtx {
  change: () => void;
  channel: string;
  lines: Line[];
}

const input = (value: string, attrs: Record<string, string | number | boolean> = {}) =>
  h('input', { type: 'text', value, autocomplete: 'off', spellcheck: false, ...attrs });

/** An input bound to a string property of the state. */
function bound<K extends 'elementName' | 'displayName' | 'header' | 'footer'>(
  s: FormState,
  key: K,
  ctx: StepCtx,
  attrs: Record<string, string | number | boolean> = {},
  after?: () => void,
): HTMLInputElement {
  const el = input(s[key], attrs);
  el.addEventListener('input', () => {
    s[key] = el.value;
    touch(s, key);
    after?.();
    ctx.change();
  });
  return el;
}

/** "Promoción de invierno" → "promocion_de_invierno": the element name a display name suggests. */
export function suggestElementName(display: string): string {
  return display
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, LIMITS.elementName);
}

export function namesStep(s: FormState, ctx: StepCtx): HTMLElement {
  const element = bound(s, 'elementName', ctx, { maxlength: 200, placeholder: 'pedido_listo' }, () => {
    s.elementTyped = s.elementName !== '';
  });
  const display = bound(s, 'displayName', ctx, { maxlength: 120 }, () => {
    if (s.elementTyped) return;
    s.elementName = suggestElementName(s.displayName);
    element.value = s.elementName;
    touch(s, 'elementName');
  });
  return h(
    'div',
    { class: 'fields' },
    fieldBox(T('tpl.f.elementName'), element, 'elementName', {
      hint: T('tpl.f.elementNameHint'),
      wide: true,
    }),
    fieldBox(T('tpl.f.displayName'), display, 'displayName', {
      hint: T('tpl.f.displayNameHint'),
      wide: true,
    }),
  );
}

function languageName(code: string): string {
  try {
    const names = new Intl.DisplayNames([boot.lang], { type: 'language' });
    const name = names.of(code.replace('_', '-')) ?? code;
    return `${name.charAt(0).toUpperCase()}${name.slice(1)} (${code})`;
  } catch {
    return code;
  }
}

/** The usual languages by name, or any other WhatsApp code typed in. */
function languageField(s: FormState, ctx: StepCtx): HTMLElement {
  const known = (LANGUAGE_SUGGESTIONS as readonly string[]).includes(s.language);
  const options: Option[] = LANGUAGE_SUGGESTIONS.map((c): Option => [c, languageName(c)]);
  const pick = select('language', [...options, ['', T('tpl.f.languageOther')]], known ? s.language : '');
  const other = input(known ? '' : s.language, {
    name: 'languageOther',
    placeholder: 'fr, de, it…',
    maxlength: 10,
  });
  const otherBox = fieldBox(T('tpl.f.languageCode'), other, 'language.other');
  otherBox.hidden = known;
  const apply = () => {
    s.language = pick.value || other.value.trim();
    touch(s, 'language');
    ctx.change();
  };
  pick.addEventListener('change', () => {
    otherBox.hidden = pick.value !== '';
    if (!otherBox.hidden) other.focus();
    apply();
  });
  other.addEventListener('input', apply);
  return h('div', { class: 'wide lang-row' }, fieldBox(T('tpl.f.language'), pick, 'language'), otherBox);
}

function categoryField(s: FormState, onChange: () => void): HTMLElement {
  const radios = TEMPLATE_CATEGORIES.map((c) => {
    const radio = h('input', { type: 'radio', name: 'category', value: c, checked: s.category === c });
    radio.addEventListener('change', () => {
      s.category = c;
      touch(s, 'category');
      onChange();
    });
    return h(
      'label',
      { class: 'choice' },
      radio,
      h(
        'span',
        {},
        h('b', { text: T(`tpl.cat.${c}`) }),
        h('span', { class: 'muted', text: T(`tpl.cat.${c}.help`) }),
      ),
    );
  });
  return h(
    'fieldset',
    { class: 'wide choices', 'data-field': 'category' },
    h('legend', { text: T('tpl.f.category') }),
    ...radios,
    h('div', { class: 'issue', 'data-issue-for': 'category' }),
  );
}

export function setupStep(s: FormState, ctx: StepCtx): HTMLElement {
  const typeOptions = TEMPLATE_TYPES.map((t): Option => [t, T(`tpl.typeLong.${t}`)]);
  const type = select('type', typeOptions, isAuth(s) ? 'TEXT' : s.type);
  type.disabled = isAuth(s);
  type.addEventListener('change', () => {
    s.type = type.value;
    s.media = undefined;
    touch(s, 'type');
    ctx.change();
  });
  let editor = buttonsEditor(s, ctx.change);
  const onCategory = () => {
    type.disabled = isAuth(s);
    if (isAuth(s)) type.value = 'TEXT';
    const next = buttonsEditor(s, ctx.change);
    editor.replaceWith(next);
    editor = next;
  };
  return h(
    'div',
    { class: 'fields' },
    languageField(s, ctx),
    categoryField(s, onCategory),
    fieldBox(T('tpl.f.type'), type, 'type', { hint: T('tpl.f.typeHint'), wide: true }),
    h('div', { class: 'wide' }, h('h3', { text: T('tpl.f.buttons') }), editor),
  );
}

/** Puts the next {{n}} where the cursor is in the body. */
function variableButton(s: FormState, body: HTMLTextAreaElement, ctx: StepCtx): HTMLButtonElement {
  return h('button', {
    type: 'button',
    class: 'btn small',
    id: 'add-variable',
    text: T('tpl.f.addVariable'),
    onclick: () => {
      const next = Math.max(0, ...placeholders(body.value)) + 1;
      const at = body.selectionStart ?? body.value.length;
      const token = `{{${next}}}`;
      body.value = body.value.slice(0, at) + token + body.value.slice(body.selectionEnd ?? at);
      body.focus();
      body.setSelectionRange(at + token.length, at + token.length);
      s.body = body.value;
      touch(s, 'body');
      ctx.change();
    },
  });
}

function bodyField(s: FormState, ctx: StepCtx): HTMLElement {
  const auth = isAuth(s);
  const body = h('textarea', { rows: 6, maxlength: LIMITS.body + 200, readonly: auth });
  body.value = bodyOf(s);
  const counter = h('span', { class: 'muted counter', 'aria-hidden': 'true' });
  const count = () => (counter.textContent = `${body.value.length} / ${LIMITS.body}`);
  body.addEventListener('input', () => {
    s.body = body.value;
    touch(s, 'body');
    count();
    ctx.change();
  });
  count();
  const box = fieldBox(T('tpl.f.body'), body, 'body', {
    hint: auth ? T('tpl.f.bodyAuthHint') : T('tpl.f.bodyHint'),
    wide: true,
  });
  box
    .querySelector('label')
    ?.after(h('div', { class: 'body-tools' }, auth ? null : variableButton(s, body, ctx), counter));
  return box;
}

function headerField(s: FormState, ctx: StepCtx): HTMLElement | null {
  if (isAuth(s)) return null;
  if (s.type === 'TEXT') {
    const header = bound(s, 'header', ctx, { maxlength: LIMITS.header + 20 });
    return fieldBox(T('tpl.f.header'), header, 'header', { hint: T('tpl.f.headerHint'), wide: true });
  }
  let slot: HTMLElement | null = null;
  const file = mediaInput(
    s.type,
    'sample',
    (m) => {
      s.media = m;
      touch(s, 'sampleMediaId');
      ctx.change();
    },
    (kind, text) => {
      if (!slot) return;
      slot.textContent = kind === 'clear' ? '' : (text ?? '');
      slot.classList.toggle('busy', kind === 'busy');
    },
  );
  const hint = `${T('tpl.f.sampleHint')} ${mediaHint(s.type)}`;
  const box = fieldBox(T(`tpl.f.sample.${s.type as 'IMAGE'}`), file, 'sampleMediaId', { hint, wide: true });
  fileControl(file);
  slot = box.querySelector('.issue');
  const chosen = box.querySelector('.file-name');
  if (s.media && chosen) chosen.textContent = s.media.name;
  return box;
}

export function contentStep(s: FormState, ctx: StepCtx): HTMLElement {
  const footer = isAuth(s) ? null : bound(s, 'footer', ctx, { maxlength: LIMITS.footer + 20 });
  return h(
    'div',
    { class: 'fields' },
    headerField(s, ctx),
    bodyField(s, ctx),
    footer
      ? fieldBox(T('tpl.f.footer'), footer, 'footer', { hint: T('tpl.f.footerHint'), wide: true })
      : null,
  );
}

/** One row per {{n}}: its name for the agents and an example for WhatsApp's review. */
function paramRow(
  label: string,
  p: { name: string; example: string },
  key: string,
  ctx: StepCtx,
  s: FormState,
) {
  const name = input(p.name, { maxlength: LIMITS.paramName + 10 });
  const example = input(p.example, { maxlength: 200 });
  name.addEventListener('input', () => {
    p.name = name.value;
    touch(s, `${key}.name`);
    ctx.change();
  });
  example.addEventListener('input', () => {
    p.example = example.value;
    touch(s, `${key}.example`);
    ctx.change();
  });
  return h(
    'div',
    { class: 'param-row', 'data-param': key },
    h('div', { class: 'param-tag', text: label }),
    fieldBox(T('tpl.f.paramName'), name, `${key}.name`),
    fieldBox(T('tpl.f.paramExample'), example, `${key}.example`),
  );
}

export function paramsStep(s: FormState, ctx: StepCtx): HTMLElement {
  const rows: HTMLElement[] = [];
  if (placeholders(headerOf(s)).length > 0) {
    rows.push(paramRow(T('tpl.f.headerVar'), s.headerParam, 'headerParam', ctx, s));
  }
  const count = paramCount(bodyOf(s));
  while (s.params.length < count) s.params.push({ name: '', example: '' });
  for (let i = 0; i < count; i++) {
    rows.push(
      paramRow(`{{${i + 1}}}`, s.params[i] as { name: string; example: string }, `params.${i}`, ctx, s),
    );
  }
  if (rows.length === 0) return h('div', {}, notice('info', T('tpl.f.noParams')));
  return h('div', {}, h('p', { class: 'muted', text: T('tpl.f.paramsIntro') }), ...rows);
}

/** What will be asked for, and on which open lines agents will be offered it. */
export function confirmStep(s: FormState, ctx: StepCtx): HTMLElement {
  const row = (k: string, v: string) => [h('dt', { text: k }), h('dd', { text: v })];
  const lines = ctx.lines.map((l) => {
    const box = h('input', {
      type: 'checkbox',
      name: 'line',
      value: l.id,
      checked: s.lineIds.includes(l.id),
    });
    box.addEventListener('change', () => {
      s.lineIds = box.checked ? [...s.lineIds, l.id] : s.lineIds.filter((x) => x !== l.id);
    });
    return h('label', { class: 'check' }, box, ` ${l.name} (#${l.id})`);
  });
  return h(
    'div',
    {},
    h(
      'dl',
      { class: 'grid2 summary' },
      row(T('tpl.channel'), ctx.channel),
      row(T('tpl.f.elementName'), s.elementName),
      row(T('tpl.f.displayName'), s.displayName),
      row(T('tpl.f.language'), languageName(s.language)),
      row(T('tpl.f.category'), T(`tpl.cat.${s.category as 'UTILITY'}`)),
      row(T('tpl.f.type'), T(`tpl.typeLong.${(isAuth(s) ? 'TEXT' : s.type) as 'TEXT'}`)),
    ),
    h('fieldset', { class: 'lines' }, h('legend', { text: T('tpl.f.lines') }), ...lines),
    h('p', { class: 'muted', text: T('tpl.f.linesHint') }),
    notice('info', T('tpl.f.reviewNote')),
  );
}
