/**
 * The rules of sending a template (C6), pure so the API, the chat picker, the CRM card and the robot
 * apply the same ones, and so they can be checked without a database: the customer's number, the
 * parameters, the text the customer gets, and the header media a template type needs.
 *
 * `renderText` renders {{n}} as tplcore's `renderTemplate` renders the body, for the header too; the
 * header's parameter is the template's `header_param` (0011), named "header" when it has none.
 */

/** A template as the send sees it (a subset of the templates row). */
export interface SendableTemplate {
  templateType: 'TEXT' | 'IMAGE' | 'DOCUMENT' | 'VIDEO';
  header: string | null;
  body: string;
  footer: string | null;
  params: Array<{ name: string; example?: string }>;
  /** The name and example of a text header's variable (tplcore's model). */
  headerParam?: { name: string; example?: string } | null | undefined;
}

/** A rule broken by the caller's input: the field and a code (send-texts.ts has the words). */
export interface SendIssue {
  field: string;
  code: string;
  params?: Record<string, string | number>;
}

/**
 * A phone number as WhatsApp and Gupshup want it, E.164 digits without the plus (as inbound numbers
 * are stored): spaces, dashes, dots and brackets go, a leading `+` or `00` goes. Null when what is
 * left is not 8 to 15 digits (E.164 allows at most 15) or the input had anything else in it.
 */
export function normalisePhone(raw: string): string | null {
  const trimmed = raw.trim();
  if (!/^[+\d\s().-]{1,40}$/.test(trimmed)) return null;
  let digits = trimmed.replace(/[\s().-]/g, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  if (!/^[1-9]\d{7,14}$/.test(digits)) return null;
  return digits;
}

/** The first phone number in a text (a CRM field can read "WORK: +54 9 11 …, MOBILE: …"). */
export function firstPhone(raw: string): string | null {
  for (const candidate of raw.match(/\+?[\d][\d\s().-]{6,30}\d/g) ?? []) {
    const n = normalisePhone(candidate);
    if (n) return n;
  }
  return null;
}

/** The placeholder numbers of a text, in order of first appearance, each once. */
function placeholdersOf(text: string | null): number[] {
  const seen: number[] = [];
  for (const m of (text ?? '').matchAll(/\{\{\s*(\d+)\s*\}\}/g)) {
    const n = Number(m[1]);
    if (!seen.includes(n)) seen.push(n);
  }
  return seen;
}

/** One value a send must give: the text header's variable first, then the body's {{1}}…{{n}}. */
export interface ParamSlot {
  name: string;
  example: string;
  part: 'header' | 'body';
}

/**
 * The values a send gives, in the order Gupshup's `params` takes them (§2.1 "in order of
 * appearance"): a text header's one variable first, then the body's. The body's count is its highest
 * placeholder; the names and examples are the template's `params`, the header's its `headerParam`.
 */
export function paramSlots(t: SendableTemplate): ParamSlot[] {
  const slots: ParamSlot[] = [];
  if (t.templateType === 'TEXT' && placeholdersOf(t.header).length > 0) {
    slots.push({
      name: t.headerParam?.name ?? 'header',
      example: t.headerParam?.example ?? '',
      part: 'header',
    });
  }
  const body = Math.max(0, ...placeholdersOf(t.body));
  for (let i = 0; i < body; i++) {
    const p = t.params[i];
    slots.push({ name: p?.name || String(i + 1), example: p?.example ?? '', part: 'body' });
  }
  return slots;
}

/** How many values a send must give. */
export function paramCount(t: SendableTemplate): number {
  return paramSlots(t).length;
}

/** WhatsApp refuses a parameter with a new line or a tab, or four spaces in a row (§4.4). */
const PARAM_MAX = 1024;
function paramIssue(value: string, field: string): SendIssue | undefined {
  if (!value.trim()) return { field, code: 'param_empty' };
  if (value.length > PARAM_MAX) return { field, code: 'param_too_long', params: { max: PARAM_MAX } };
  if (/[\n\r\t]/.test(value) || / {4}/.test(value)) return { field, code: 'param_format' };
  return undefined;
}

/**
 * The values in Gupshup's order, from a list (by position) or from an object keyed by the slots'
 * names (or by position, "1", "2", …). Every value is required and checked.
 */
export function resolveParams(
  t: SendableTemplate,
  input: string[] | Record<string, string> | undefined,
): { params: string[] } | { issues: SendIssue[] } {
  const slots = paramSlots(t);
  const given = input ?? [];
  const issues: SendIssue[] = [];
  const values: string[] = [];
  if (Array.isArray(given)) {
    if (given.length !== slots.length) {
      return { issues: [{ field: 'params', code: 'param_count', params: { expected: slots.length } }] };
    }
    values.push(...given);
  } else {
    const known = new Set([...slots.map((x) => x.name), ...slots.map((_, i) => String(i + 1))]);
    for (const key of Object.keys(given)) {
      if (!known.has(key)) issues.push({ field: `params.${key}`, code: 'param_unknown' });
    }
    slots.forEach((slot, i) => values.push(given[slot.name] ?? given[String(i + 1)] ?? ''));
  }
  values.forEach((v, i) => {
    const issue = paramIssue(v, `params.${slots[i]?.name ?? String(i + 1)}`);
    if (issue) issues.push(issue);
  });
  return issues.length ? { issues } : { params: values };
}

/** A text with {{n}} replaced by the n-th value (a missing value leaves the placeholder). */
export function renderText(text: string, params: string[]): string {
  return text.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n: string) => params[Number(n) - 1] ?? whole);
}

/** What the customer reads: the text header, the body and the footer, values filled in. */
export function renderMessage(t: SendableTemplate, params: string[]): string {
  const headerVars = paramSlots(t).filter((x) => x.part === 'header').length;
  const header =
    t.templateType === 'TEXT' && t.header ? renderText(t.header, params.slice(0, headerVars)) : '';
  const body = renderText(t.body, params.slice(headerVars));
  return [header, body, t.footer ?? ''].filter((p) => p.trim()).join('\n');
}

/** The header media a template type needs (seed 001): its WhatsApp kind, file types and size. */
export interface HeaderMediaRule {
  kind: 'image' | 'document' | 'video';
  mimes: readonly string[];
  maxBytes: number;
}

const MB = 1024 * 1024;
const HEADER_RULES: Record<SendableTemplate['templateType'], HeaderMediaRule | null> = {
  TEXT: null,
  IMAGE: { kind: 'image', mimes: ['image/jpeg', 'image/png'], maxBytes: 2 * MB },
  DOCUMENT: { kind: 'document', mimes: ['application/pdf'], maxBytes: 2 * MB },
  VIDEO: { kind: 'video', mimes: ['video/mp4'], maxBytes: 5 * MB },
};

export function headerRule(type: SendableTemplate['templateType']): HeaderMediaRule | null {
  return HEADER_RULES[type];
}

/** Whether a stored file fits the template's header; the issue code when it does not. */
export function headerMediaIssue(
  rule: HeaderMediaRule,
  file: { mime: string; size: number },
): 'media_type' | 'media_too_large' | undefined {
  if (!rule.mimes.includes(file.mime)) return 'media_type';
  if (file.size > rule.maxBytes) return 'media_too_large';
  return undefined;
}
