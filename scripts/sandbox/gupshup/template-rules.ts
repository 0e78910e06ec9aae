/**
 * What template creation accepts (§4.3 fields, §4.4 limits & rules). The only documented error text is
 * the category one; the others are sandbox wording in the same `{"status":"error","message"}` body.
 */
import { charLen, isObj, type Json } from './util.js';

export const CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'];
export const TEMPLATE_TYPES = [
  'TEXT',
  'IMAGE',
  'VIDEO',
  'DOCUMENT',
  'LOCATION',
  'PRODUCT',
  'CATALOG',
  'CAROUSEL',
];
/** Template types whose header is a media the send must bring in `message` (§2.1). */
export const MEDIA_TYPES = ['IMAGE', 'VIDEO', 'DOCUMENT'];
const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP', 'CATALOG', 'MPM', 'FLOW'];
const CTA_TYPES = ['URL', 'PHONE_NUMBER', 'COPY_CODE', 'FLOW'];

/** A create request that passed every check, parsed. */
export interface TemplateSpec {
  elementName: string;
  languageCode: string;
  category: string;
  templateType: string;
  vertical: string;
  content: string;
  header?: string;
  footer?: string;
  buttons: Json[];
  example?: string;
  exampleHeader?: string;
  enableSample: boolean;
  /** The sample media (exampleMedia handle, mediaId or mediaUrl) of media templates. */
  sampleMedia?: string;
  mediaUrl?: string;
  allowTemplateCategoryChange: boolean;
  addSecurityRecommendation: boolean;
  limitedOfferText?: string;
}

/** A form field's value, or undefined when absent. */
export type FieldGetter = (name: string) => string | undefined;
type Result<T> = { ok: true; value: T } | { ok: false; error: string };
const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The variables of a text in order of appearance: `{{1}}` → "1", `{{name}}` → "name". */
export function variablesOf(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/** Number of distinct positional variables of a text. */
export function variableCount(text: string | undefined): number {
  return text === undefined ? 0 : new Set(variablesOf(text)).size;
}

/** §4.4: positional `{{n}}` only, numbered 1..n without gaps. */
function checkPositional(text: string, where: string): string | null {
  const vars = variablesOf(text);
  if (vars.some((v) => !/^\d+$/.test(v))) {
    return `${where} may only use positional variables {{1}}, {{2}}, …`;
  }
  const nums = new Set(vars.map(Number));
  for (let i = 1; i <= nums.size; i++) {
    if (!nums.has(i)) return `${where} variables must be numbered {{1}} to {{${nums.size}}} without gaps`;
  }
  return null;
}

/** §4.3: `example` is the text with sample values put in place of its variables. */
function exampleMatches(text: string, example: string): boolean {
  const parts = text.split(PLACEHOLDER).filter((_, i) => i % 2 === 0);
  const escaped = parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[\\s\\S]+?')}$`).test(example) && variableCount(example) === 0;
}

const truthy = (v: string | undefined): boolean => v === 'true';

function checkIdentity(get: FieldGetter): Result<Pick<TemplateSpec, 'elementName' | 'languageCode'>> {
  const elementName = get('elementName') ?? '';
  if (elementName === '') return fail('elementName is required');
  if (!/^[a-z0-9_]+$/.test(elementName)) {
    return fail('Invalid elementName: only lowercase letters, digits and underscores are allowed');
  }
  if (elementName.length > 180) return fail('elementName must not be longer than 180 characters');
  const languageCode = get('languageCode') || 'en_US';
  if (!/^[a-z]{2,3}(_[A-Z]{2,3})?$/.test(languageCode)) return fail('Invalid languageCode');
  return { ok: true, value: { elementName, languageCode } };
}

function checkKind(get: FieldGetter): Result<Pick<TemplateSpec, 'category' | 'templateType' | 'vertical'>> {
  const category = get('category') ?? '';
  if (!CATEGORIES.includes(category)) {
    // §4.3: the documented answer for anything else
    return fail(
      'Invalid category provided, kindly use category from these option AUTHENTICATION, MARKETING, UTILITY',
    );
  }
  const templateType = get('templateType') ?? '';
  if (!TEMPLATE_TYPES.includes(templateType)) {
    return fail(`Invalid templateType provided, kindly use one of ${TEMPLATE_TYPES.join(', ')}`);
  }
  if (['CATALOG', 'CAROUSEL', 'PRODUCT'].includes(templateType) && category === 'AUTHENTICATION') {
    return fail(`${templateType} templates are available for MARKETING and UTILITY only`);
  }
  const vertical = get('vertical') ?? '';
  if (vertical.trim() === '') return fail('vertical is required');
  if (charLen(vertical) > 180) return fail('vertical must not be longer than 180 characters');
  return { ok: true, value: { category, templateType, vertical } };
}

function checkBody(get: FieldGetter): Result<Pick<TemplateSpec, 'content' | 'example'>> {
  const content = get('content') ?? '';
  if (content.trim() === '') return fail('content is required');
  if (charLen(content) > 1024) return fail('content must not be longer than 1024 characters');
  const bad = checkPositional(content, 'content');
  if (bad) return fail(bad);
  const example = get('example');
  if (variableCount(content) === 0) return { ok: true, value: example ? { content, example } : { content } };
  if (!example) return fail('example is required when the content has variables');
  if (!exampleMatches(content, example)) {
    return fail('example must be the content with a sample value in place of each variable');
  }
  return { ok: true, value: { content, example } };
}

type HeaderPart = Pick<TemplateSpec, 'header' | 'exampleHeader' | 'footer'>;

function checkHeaderFooter(get: FieldGetter, templateType: string): Result<HeaderPart> {
  const out: HeaderPart = {};
  const header = get('header');
  if (header) {
    if (templateType !== 'TEXT') return fail(`Header text is not allowed for ${templateType} templates`);
    if (charLen(header) > 60) return fail('header must not be longer than 60 characters');
    const bad = checkPositional(header, 'header');
    if (bad) return fail(bad);
    if (variableCount(header) > 1) return fail('header may have at most one variable');
    out.header = header;
    if (variableCount(header) === 1) {
      const exampleHeader = get('exampleHeader');
      if (!exampleHeader) return fail('exampleHeader is required when the header has a variable');
      if (!exampleMatches(header, exampleHeader)) {
        return fail('exampleHeader must be the header with its sample value');
      }
      out.exampleHeader = exampleHeader;
    }
  }
  const footer = get('footer');
  if (footer) {
    if (charLen(footer) > 60) return fail('footer must not be longer than 60 characters');
    if (variableCount(footer) > 0) return fail('footer may not have variables');
    out.footer = footer;
  }
  return { ok: true, value: out };
}

function parseButtons(raw: string | undefined): Result<Json[]> {
  if (raw === undefined || raw.trim() === '') return { ok: true, value: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail('Invalid buttons: malformed JSON');
  }
  if (!Array.isArray(parsed) || !parsed.every(isObj)) {
    return fail('Invalid buttons: expected a JSON array of objects');
  }
  return { ok: true, value: parsed };
}

/** One button's own fields (§4.3 sample shapes; text ≤25, §4.4). */
function checkButton(b: Json): string | null {
  const type = typeof b.type === 'string' ? b.type : '';
  if (!BUTTON_TYPES.includes(type)) return `Invalid button type ${JSON.stringify(b.type ?? null)}`;
  if (type !== 'OTP' && (typeof b.text !== 'string' || b.text.trim() === '')) {
    return `${type} button needs text`;
  }
  if (typeof b.text === 'string' && charLen(b.text) > 25) {
    return 'button text must not be longer than 25 characters';
  }
  if (type === 'URL') {
    if (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url)) return 'URL button needs an http(s) url';
    if (variableCount(b.url) > 0 && !(Array.isArray(b.example) && b.example.length > 0)) {
      return 'URL button with a variable needs an example';
    }
  }
  if (type === 'PHONE_NUMBER' && (typeof b.phone_number !== 'string' || b.phone_number === '')) {
    return 'PHONE_NUMBER button needs phone_number';
  }
  return null;
}

/** §4.4 counts per type and the grouping of quick replies apart from the other buttons. */
function checkButtonSet(buttons: Json[], category: string, templateType: string): string | null {
  const count = (t: string) => buttons.filter((b) => b.type === t).length;
  if (buttons.length > 10) return 'At most 10 buttons are allowed';
  if (count('URL') > 2) return 'At most 2 URL buttons are allowed';
  if (count('PHONE_NUMBER') > 1) return 'At most 1 PHONE_NUMBER button is allowed';
  if (count('COPY_CODE') > 1) return 'At most 1 COPY_CODE button is allowed';
  if (count('COPY_CODE') > 0 && category !== 'MARKETING') {
    return 'COPY_CODE buttons are for MARKETING templates only';
  }
  if (category === 'AUTHENTICATION' && (buttons.length !== 1 || count('OTP') !== 1)) {
    return 'AUTHENTICATION templates need exactly one OTP button';
  }
  if (category !== 'AUTHENTICATION' && count('OTP') > 0) {
    return 'OTP buttons are for AUTHENTICATION templates only';
  }
  if (templateType === 'CATALOG' && (buttons.length !== 1 || count('CATALOG') !== 1)) {
    return 'CATALOG templates need exactly one CATALOG button';
  }
  if (templateType !== 'CATALOG' && count('CATALOG') > 0) {
    return 'CATALOG buttons are for CATALOG templates only';
  }
  if (count('MPM') > 0 && buttons.length !== 1) return 'An MPM button must be the only button';
  const kinds = buttons.map((b) =>
    b.type === 'QUICK_REPLY' ? 'qr' : CTA_TYPES.includes(String(b.type)) ? 'cta' : '',
  );
  const changes = kinds.filter((k, i) => i > 0 && k !== kinds[i - 1]).length;
  if (changes > 1) return 'Quick replies must be grouped apart from the other buttons';
  return null;
}

function checkButtons(get: FieldGetter, category: string, templateType: string): Result<Json[]> {
  const parsed = parseButtons(get('buttons'));
  if (!parsed.ok) return parsed;
  for (const b of parsed.value) {
    const bad = checkButton(b);
    if (bad) return fail(bad);
  }
  const bad = checkButtonSet(parsed.value, category, templateType);
  return bad ? fail(bad) : parsed;
}

type SamplePart = Pick<
  TemplateSpec,
  'enableSample' | 'sampleMedia' | 'mediaUrl' | 'addSecurityRecommendation' | 'limitedOfferText'
>;

/** Sample media for media headers, enableSample, LTO, security recommendation, carousel cards (§4.3). */
function checkSamples(
  get: FieldGetter,
  s: Pick<TemplateSpec, 'category' | 'templateType' | 'buttons'>,
): Result<SamplePart> {
  const out: SamplePart = {
    enableSample: truthy(get('enableSample')),
    addSecurityRecommendation: truthy(get('addSecurityRecommendation')),
  };
  if (MEDIA_TYPES.includes(s.templateType)) {
    const media = get('exampleMedia') || get('mediaId') || get('mediaUrl');
    if (!media) {
      return fail(`${s.templateType} templates need a sample media (exampleMedia, mediaId or mediaUrl)`);
    }
    out.sampleMedia = media;
    const mediaUrl = get('mediaUrl');
    if (mediaUrl) out.mediaUrl = mediaUrl;
  }
  const ctaWithVariable = s.buttons.some((b) => b.type === 'URL' && variableCount(String(b.url)) > 0);
  if ((MEDIA_TYPES.includes(s.templateType) || ctaWithVariable) && !out.enableSample) {
    return fail('enableSample must be true for media templates and buttons with variables');
  }
  if (out.addSecurityRecommendation && s.category !== 'AUTHENTICATION') {
    return fail('addSecurityRecommendation is for AUTHENTICATION templates only');
  }
  if (s.templateType === 'CAROUSEL' && !parseButtons(get('cards')).ok) return fail('Invalid cards');
  if (s.templateType === 'CAROUSEL' && !get('cards')) return fail('CAROUSEL templates need cards');
  if (truthy(get('isLTO'))) {
    const offer = get('limitedOfferText') ?? '';
    if (s.templateType !== 'TEXT') return fail('Limited-time offer templates must be of type TEXT');
    if (offer === '' || charLen(offer) > 16) {
      return fail('limitedOfferText is required, at most 16 characters');
    }
    out.limitedOfferText = offer;
  }
  return { ok: true, value: out };
}

/** §4.3/§4.4: every check of a create request, in the order a form is read. */
export function checkTemplateFields(get: FieldGetter): Result<TemplateSpec> {
  const id = checkIdentity(get);
  if (!id.ok) return id;
  const kind = checkKind(get);
  if (!kind.ok) return kind;
  const body = checkBody(get);
  if (!body.ok) return body;
  const hf = checkHeaderFooter(get, kind.value.templateType);
  if (!hf.ok) return hf;
  const buttons = checkButtons(get, kind.value.category, kind.value.templateType);
  if (!buttons.ok) return buttons;
  const samples = checkSamples(get, { ...kind.value, buttons: buttons.value });
  if (!samples.ok) return samples;
  return {
    ok: true,
    value: {
      ...id.value,
      ...kind.value,
      ...body.value,
      ...hf.value,
      buttons: buttons.value,
      ...samples.value,
      allowTemplateCategoryChange: truthy(get('allowTemplateCategoryChange')),
    },
  };
}
