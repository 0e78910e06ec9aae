/**
 * The rules a WhatsApp template must follow before it is sent to Gupshup for review (C6, seed 001;
 * reference gupshup.md §4.3, §4.4, §6). PURE: only the model next to it, so the pages' bundle runs the
 * same rules live and the API refuses the same things. Each broken rule is a `RuleIssue` with a code;
 * template-texts.ts words each code in es, en and pt.
 *
 * One rule is stricter than Gupshup: quick replies and call-to-action buttons never go together (the
 * seed and SPEC C6 say so; Gupshup §4.4 allows grouped mixes).
 */
import { checkButtons } from './template-buttons.js';
import {
  authBody,
  LIMITS,
  TEMPLATE_CATEGORIES,
  type AddIssue as Add,
  TEMPLATE_TYPES,
  type RuleIssue,
  type TemplateContent,
  type TemplateParam,
} from './template-model.js';

export * from './template-model.js';

const TOKEN = /\{\{([^{}]*)\}\}/g;
const VALID_TOKEN = /^[1-9]\d{0,2}$/;

/** The numbers of the well-formed `{{n}}` in `text`, in order of appearance (repeats included). */
export function placeholders(text: string): number[] {
  return [...text.matchAll(TOKEN)].flatMap((m) => (VALID_TOKEN.test(m[1] ?? '') ? [Number(m[1])] : []));
}

/** The first piece of `{{…}}` syntax that is not a `{{n}}` (`{{ 1 }}`, `{{name}}`, a lone `{{`). */
export function malformedPlaceholder(text: string): string | undefined {
  for (const m of text.matchAll(TOKEN)) if (!VALID_TOKEN.test(m[1] ?? '')) return m[0];
  const rest = text.replace(TOKEN, '');
  const lone = /\{\{|\}\}/.exec(rest);
  return lone ? lone[0] : undefined;
}

/** The body with `params[n-1]` in each `{{n}}`; a `{{n}}` without a value stays as it is. */
export function renderTemplate(t: { body: string }, params: readonly string[]): string {
  return t.body.replace(TOKEN, (whole, n: string) =>
    VALID_TOKEN.test(n) && params[Number(n) - 1] !== undefined ? (params[Number(n) - 1] as string) : whole,
  );
}

/**
 * What is wrong with a value for a `{{n}}` (an example here, a value when sending): WhatsApp refuses
 * empty ones and line breaks, tabs or four spaces in a row (reference §4.4).
 */
export function paramValueProblem(value: string): 'empty' | 'format' | undefined {
  if (value.trim() === '') return 'empty';
  return /[\n\r\t]| {4}/.test(value) ? 'format' : undefined;
}

/** Every rule the template breaks; empty when it may be submitted. */
export function validateTemplate(t: TemplateContent): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const add: Add = (field, code, params) => issues.push(params ? { field, code, params } : { field, code });
  checkNames(t, add);
  const category = TEMPLATE_CATEGORIES.find((c) => c === t.category);
  const type = TEMPLATE_TYPES.find((c) => c === t.type);
  if (!category) add('category', 'category_invalid');
  if (!type) add('type', 'type_invalid');
  checkHeader(t, type, add);
  checkBody(t, category === 'AUTHENTICATION', add);
  checkFooter(t.footer ?? '', add);
  checkButtons(t.buttons ?? [], category, add);
  if (category === 'AUTHENTICATION') checkAuthentication(t, add);
  if (type && type !== 'TEXT' && !t.sampleMediaId) add('sampleMediaId', 'sample_media_required');
  if (type === 'TEXT' && t.sampleMediaId) add('sampleMediaId', 'sample_media_unused');
  return issues;
}

function checkNames(t: TemplateContent, add: Add): void {
  if (!t.elementName) add('elementName', 'element_name_required');
  else if (!/^[a-z0-9_]+$/.test(t.elementName)) add('elementName', 'element_name_format');
  if (t.elementName.length > LIMITS.elementName) {
    add('elementName', 'element_name_too_long', { max: LIMITS.elementName, length: t.elementName.length });
  }
  const display = t.displayName.trim();
  if (!display) add('displayName', 'display_name_required');
  if (display.length > LIMITS.displayName) {
    add('displayName', 'display_name_too_long', { max: LIMITS.displayName, length: display.length });
  }
  if (!t.language) add('language', 'language_required');
  else if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(t.language)) {
    add('language', 'language_format', { language: t.language });
  }
}

function checkHeader(t: TemplateContent, type: string | undefined, add: Add): void {
  const header = t.header ?? '';
  const numbers = placeholders(header);
  if (header) {
    if (type && type !== 'TEXT') add('header', 'header_media_type', { type });
    if (header.length > LIMITS.header) {
      add('header', 'header_too_long', { max: LIMITS.header, length: header.length });
    }
    if (/[\r\n]/.test(header)) add('header', 'header_newline');
    const bad = malformedPlaceholder(header);
    if (bad) add('header', 'placeholder_malformed', { text: bad });
    if (numbers.length > 1) add('header', 'header_too_many_variables', { max: 1, count: numbers.length });
    else if (numbers[0] !== undefined && numbers[0] !== 1) {
      add('header', 'header_variable_number', { n: numbers[0] });
    }
  }
  if (numbers.length > 0) {
    if (!t.headerParam) add('headerParam', 'header_param_required');
    else checkParam('headerParam', t.headerParam, add);
  } else if (t.headerParam) {
    add('headerParam', 'header_param_unused');
  }
}

function checkBody(t: TemplateContent, authentication: boolean, add: Add): void {
  const body = t.body;
  if (!body.trim()) {
    add('body', 'body_required');
    return;
  }
  if (body.length > LIMITS.body) add('body', 'body_too_long', { max: LIMITS.body, length: body.length });
  const bad = malformedPlaceholder(body);
  if (bad) add('body', 'placeholder_malformed', { text: bad });
  const numbers = placeholders(body);
  checkSequence(numbers, add);
  // The fixed authentication text ends with its code: WhatsApp writes that text itself.
  if (!authentication) checkPlacement(body, add);
  const expected = new Set(numbers).size;
  if (t.params.length !== expected) {
    add('params', 'params_count', { expected, given: t.params.length });
  }
  const seen = new Set<string>();
  t.params.forEach((p, i) => {
    checkParam(`params.${i}`, p, add);
    const name = p.name.trim().toLowerCase();
    if (name && seen.has(name)) add(`params.${i}.name`, 'param_name_repeated', { name: p.name.trim() });
    seen.add(name);
  });
}

/** `{{1}}…{{n}}`: each once, none missing, in order of appearance. */
function checkSequence(numbers: number[], add: Add): void {
  const distinct = [...new Set(numbers)];
  for (const n of distinct) {
    if (numbers.filter((x) => x === n).length > 1) add('body', 'placeholder_repeated', { n });
  }
  const max = Math.max(0, ...distinct);
  for (let n = 1; n <= max; n++) {
    if (!distinct.includes(n)) add('body', 'placeholder_missing', { n, max });
  }
  const outOfOrder = distinct.findIndex((n, i) => n !== i + 1 && distinct.includes(i + 1));
  if (outOfOrder >= 0) {
    add('body', 'placeholder_order', { n: distinct[outOfOrder] as number, expected: outOfOrder + 1 });
  }
}

/** WhatsApp refuses a body that starts or ends with a variable, or two variables side by side. */
function checkPlacement(body: string, add: Add): void {
  const text = body.trim();
  if (/^\{\{[1-9]\d{0,2}\}\}/.test(text)) add('body', 'placeholder_at_start');
  if (/\{\{[1-9]\d{0,2}\}\}$/.test(text)) add('body', 'placeholder_at_end');
  const pair = /\{\{([1-9]\d{0,2})\}\}\s*\{\{([1-9]\d{0,2})\}\}/.exec(text);
  if (pair) add('body', 'placeholders_adjacent', { a: Number(pair[1]), b: Number(pair[2]) });
}

function checkParam(field: string, p: TemplateParam, add: Add): void {
  const name = p.name.trim();
  if (!name) add(`${field}.name`, 'param_name_required');
  else if (name.length > LIMITS.paramName) {
    add(`${field}.name`, 'param_name_too_long', { max: LIMITS.paramName, length: name.length });
  }
  const problem = paramValueProblem(p.example);
  if (problem === 'empty') add(`${field}.example`, 'param_example_required');
  if (problem === 'format') add(`${field}.example`, 'param_example_format');
}

function checkFooter(footer: string, add: Add): void {
  if (footer.length > LIMITS.footer) {
    add('footer', 'footer_too_long', { max: LIMITS.footer, length: footer.length });
  }
  if (/\{\{|\}\}/.test(footer)) add('footer', 'footer_has_variable');
}

/** Seed 001: text only, the fixed body of its language, no header or footer, one copy-code button. */
function checkAuthentication(t: TemplateContent, add: Add): void {
  if (t.type !== 'TEXT') add('type', 'auth_text_only');
  if (t.header) add('header', 'auth_no_header');
  if (t.footer) add('footer', 'auth_no_footer');
  const fixed = authBody(t.language);
  if (!fixed) add('language', 'auth_language', { language: t.language });
  else if (t.body.trim() !== fixed) add('body', 'auth_body_fixed', { text: fixed });
  const buttons = t.buttons ?? [];
  if (buttons.length !== 1 || buttons[0]?.type !== 'OTP') add('buttons', 'auth_otp_button');
}
