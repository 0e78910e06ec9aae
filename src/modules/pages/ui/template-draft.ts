import {
  authBody,
  placeholders,
  validateTemplate,
  type RuleIssue,
  type TemplateButton,
  type TemplateParam,
} from '../../templates/template-rules.js';
import { ruleMessage } from '../../templates/template-texts.js';
import { h } from './dom.js';
import { boot } from './page.js';
import type { ChosenMedia } from './template-media.js';
import type { FieldIssue, TemplateDraft } from './template-types.js';

/**
 * The request form's state (issue 11, seed 001) and how its fields show their problems: the rules of
 * template-rules.ts run on every change, as the server runs them, with the server's own words
 * (template-texts.ts) in the page's language; the server's answer to a submit is kept next to its
 * field until that field changes.
 */

export const STEPS = ['names', 'setup', 'content', 'params', 'confirm'] as const;
export type ButtonKind = 'none' | 'quick' | 'cta';

export interface FormState {
  channelId: string;
  elementName: string;
  /** The element name was typed, not suggested from the display name. */
  elementTyped: boolean;
  displayName: string;
  language: string;
  category: string;
  type: string;
  header: string;
  headerParam: TemplateParam;
  body: string;
  footer: string;
  buttonKind: ButtonKind;
  buttons: TemplateButton[];
  /** The body's {{n}} names and examples; longer than the body needs while one is being edited. */
  params: TemplateParam[];
  media: ChosenMedia | undefined;
  lineIds: number[];
  step: number;
  /** Fields whose problems are shown (typed in, or the step was checked). */
  touched: Set<string>;
  /** The server's issues from the last submit. */
  server: FieldIssue[];
}

/** The language the form starts with: the page's. */
export function defaultLanguage(): string {
  return boot.lang === 'pt' ? 'pt_BR' : boot.lang;
}

export function newForm(channelId: string, lineIds: number[]): FormState {
  return {
    channelId,
    elementName: '',
    elementTyped: false,
    displayName: '',
    language: defaultLanguage(),
    category: 'UTILITY',
    type: 'TEXT',
    header: '',
    headerParam: { name: '', example: '' },
    body: '',
    footer: '',
    buttonKind: 'none',
    buttons: [],
    params: [],
    media: undefined,
    lineIds,
    step: 0,
    touched: new Set(),
    server: [],
  };
}

export const isAuth = (s: FormState) => s.category === 'AUTHENTICATION';

/** How many {{n}} the body has (each counts once): the number of parameter rows. */
export function paramCount(body: string): number {
  return new Set(placeholders(body)).size;
}

export const bodyOf = (s: FormState) => (isAuth(s) ? (authBody(s.language) ?? s.body) : s.body);
export const headerOf = (s: FormState) => (s.type === 'TEXT' && !isAuth(s) ? s.header : '');

/** The draft as POST /templates takes it. */
export function toDraft(s: FormState): TemplateDraft {
  const auth = isAuth(s);
  const header = headerOf(s);
  const body = bodyOf(s);
  const params = Array.from({ length: paramCount(body) }, (_, i) => s.params[i] ?? { name: '', example: '' });
  return {
    channelId: s.channelId,
    elementName: s.elementName,
    displayName: s.displayName,
    language: s.language,
    category: s.category,
    type: auth ? 'TEXT' : s.type,
    header: header || null,
    headerParam: placeholders(header).length > 0 ? s.headerParam : null,
    body,
    footer: auth ? null : s.footer || null,
    buttons: s.buttons,
    params,
    sampleMediaId: s.type !== 'TEXT' && !auth ? (s.media?.mediaId ?? null) : null,
  };
}

/** The step a field is filled in. */
export function stepOf(field: string): number {
  switch (field.split('.')[0]) {
    case 'elementName':
    case 'displayName':
      return 0;
    case 'language':
    case 'category':
    case 'type':
    case 'buttons':
      return 1;
    case 'header':
    case 'body':
    case 'footer':
    case 'sampleMediaId':
      return 2;
    case 'params':
    case 'headerParam':
      return 3;
    default:
      return 4;
  }
}

/** Every problem of the draft now, in words: the rules' and the server's. */
export function allIssues(s: FormState): FieldIssue[] {
  const lang = boot.lang;
  const local = validateTemplate(toDraft(s)).map((i: RuleIssue) => ({
    field: i.field,
    code: i.code,
    message: ruleMessage(lang, i),
  }));
  const seen = new Set(local.map((i) => `${i.field}|${i.code}`));
  return [...local, ...s.server.filter((i) => !seen.has(`${i.field}|${i.code}`))];
}

/** The field was changed: its problems show from now on, and the server's word on it is dropped. */
export function touch(s: FormState, field: string): void {
  s.touched.add(field);
  s.server = s.server.filter((i) => i.field !== field && !i.field.startsWith(field + '.'));
}

/** Shown now: the server's always, the rules' once their field was touched. */
export function shown(s: FormState, issues: FieldIssue[]): FieldIssue[] {
  const server = new Set(s.server);
  return issues.filter(
    (i) => server.has(i) || s.touched.has(i.field) || s.touched.has(i.field.split('.')[0] ?? ''),
  );
}

let seq = 0;

/**
 * A labelled field with its hint and the place its problems are shown (`data-issue-for`): the input
 * is described by both and marked invalid while it has a problem. `key` is the field's name in the
 * rules (`elementName`, `params.0.example`, `buttons.1.url`…).
 */
export function fieldBox(
  label: string,
  input: HTMLElement,
  key: string,
  o: { hint?: string; wide?: boolean } = {},
): HTMLDivElement {
  const id = `f-${++seq}`;
  const issueId = `${id}-issue`;
  const hintId = `${id}-hint`;
  input.id = id;
  input.setAttribute('data-field', key);
  input.setAttribute('aria-describedby', o.hint ? `${issueId} ${hintId}` : issueId);
  return h(
    'div',
    { class: 'f' + (o.wide ? ' wide' : ''), 'data-box-for': key },
    h('label', { for: id, text: label }),
    input,
    o.hint ? h('div', { class: 'hint', id: hintId, text: o.hint }) : null,
    h('div', { class: 'issue', id: issueId, 'data-issue-for': key, 'aria-live': 'polite' }),
  );
}

/** Puts each shown problem in its field's place; the rest go to `general`. Returns the first field at fault. */
export function showIssues(
  root: HTMLElement,
  issues: FieldIssue[],
  general: HTMLElement,
): HTMLElement | null {
  const slots = new Map<string, HTMLElement>();
  root.querySelectorAll<HTMLElement>('[data-issue-for]').forEach((el) => {
    slots.set(el.getAttribute('data-issue-for') ?? '', el);
    el.textContent = '';
  });
  general.textContent = '';
  root.querySelectorAll('[data-field]').forEach((el) => el.removeAttribute('aria-invalid'));
  let first: HTMLElement | null = null;
  for (const i of issues) {
    const slot = slots.get(i.field);
    const target = slot ?? general;
    if (target.textContent) target.append(h('br'));
    target.append(h('span', { 'data-code': i.code, text: i.message }));
    const input = slot ? root.querySelector<HTMLElement>(`[data-field="${i.field}"]`) : null;
    input?.setAttribute('aria-invalid', 'true');
    first ??= input;
  }
  return first;
}
