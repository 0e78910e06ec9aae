/**
 * What the send API accepts (§1.1 session messages, §2.1 templates). Structural problems (bad JSON,
 * missing fields, unknown type) are refused synchronously with 400 — sandbox choice for Gupshup's
 * undocumented wording: `{"message":"Invalid Message: …","status":"error"}`. WhatsApp content limits
 * (text > 4096 chars, interactive limits, caption > 1024) are Meta-side: Gupshup accepts the request
 * (2xx) and Meta's rejection comes back as a `failed` message-event (§1.2 "Accepted ≠ sent").
 */
import { charLen, isNonEmptyString, isObj, type Json } from './util.js';

export interface MetaFailure {
  code: number;
  reason: string;
}

export type Validation = { ok: true; message: Json; meta?: MetaFailure } | { ok: false; error: string };

/** One message type's checks: a structural problem (`bad`), or the Meta-side failure so far. */
type Check = (m: Json, meta: MetaFailure | undefined) => { bad: string } | { meta: MetaFailure | undefined };

function parseJsonField(
  raw: string | null,
  field: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
  if (raw === null || raw.trim() === '') return { ok: false, error: `Missing ${field}` };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false, error: `Invalid ${field}: malformed JSON` };
  }
}

function hasMediaRef(m: Json, urlKey: string): boolean {
  return isNonEmptyString(m[urlKey]) || isNonEmptyString(m.id);
}

const invalid = (why: string): MetaFailure => ({
  code: 131009,
  reason: `Parameter value is not valid: ${why}`,
});

const mediaCheck =
  (urlKey: string, why: (m: Json) => string): Check =>
  (m, meta) =>
    hasMediaRef(m, urlKey) ? { meta } : { bad: why(m) };

const checkText: Check = (m, meta) => {
  if (!isNonEmptyString(m.text)) return { bad: 'text is required' };
  // §1.1: WhatsApp body max 4096 chars → Meta refuses: (#100) Invalid parameter.
  if (charLen(m.text) > 4096) {
    return {
      meta: {
        code: 100,
        reason: "Invalid parameter: Param text['body'] must be at most 4096 characters long",
      },
    };
  }
  return { meta };
};

const checkLocation: Check = (m, meta) => {
  const lon = Number(m.longitude);
  const lat = Number(m.latitude);
  if (
    m.longitude === undefined ||
    m.latitude === undefined ||
    !Number.isFinite(lon) ||
    !Number.isFinite(lat)
  ) {
    return { bad: 'location needs numeric longitude and latitude' };
  }
  return { meta: Math.abs(lat) > 90 || Math.abs(lon) > 180 ? invalid('coordinates out of range') : meta };
};

const checkList: Check = (m, meta) => {
  if (!isNonEmptyString(m.body)) return { bad: 'list body is required' };
  if (!Array.isArray(m.globalButtons) || m.globalButtons.length === 0) {
    return { bad: 'globalButtons are required' };
  }
  if (!Array.isArray(m.items) || m.items.length === 0) return { bad: 'items are required' };
  let rows = 0;
  for (const section of m.items as unknown[]) {
    if (!isObj(section) || !Array.isArray(section.options) || section.options.length === 0) {
      return { bad: 'each list item needs options' };
    }
    for (const row of section.options as unknown[]) {
      if (!isObj(row) || !isNonEmptyString(row.title)) return { bad: 'each list option needs a title' };
      rows++;
      // §1.1 limits: row title ≤24, description ≤72
      if (charLen(row.title) > 24) meta ??= invalid('row title longer than 24 characters');
      if (typeof row.description === 'string' && charLen(row.description) > 72) {
        meta ??= invalid('row description longer than 72 characters');
      }
    }
  }
  const button = m.globalButtons[0] as unknown;
  if (!isObj(button) || !isNonEmptyString(button.title)) return { bad: 'globalButtons[0].title is required' };
  if (charLen(button.title) > 20) meta ??= invalid('button title longer than 20 characters');
  if (rows > 10) meta ??= invalid('more than 10 rows');
  if (charLen(m.body) > 1024) meta ??= invalid('body longer than 1024 characters');
  return { meta };
};

const checkQuickReply: Check = (m, meta) => {
  const c = m.content;
  if (!isObj(c) || !isNonEmptyString(c.type)) return { bad: 'quick_reply content is required' };
  if (c.type === 'text') {
    if (!isNonEmptyString(c.text)) return { bad: 'quick_reply content.text is required' };
  } else if (c.type === 'image' || c.type === 'video' || c.type === 'file') {
    if (!isNonEmptyString(c.url)) return { bad: 'quick_reply media content needs url' };
  } else {
    return { bad: 'quick_reply content.type must be text, image, video or file' };
  }
  if (!Array.isArray(m.options) || m.options.length === 0) return { bad: 'quick_reply options are required' };
  for (const o of m.options as unknown[]) {
    if (!isObj(o) || !isNonEmptyString(o.title)) return { bad: 'each quick_reply option needs a title' };
    if (charLen(o.title) > 20) meta ??= invalid('button title longer than 20 characters'); // §1.1
  }
  if (m.options.length > 3) meta ??= invalid('more than 3 buttons'); // §1.1
  return { meta };
};

// §1.1 [code]; an empty emoji removes a reaction on WhatsApp, so only the type is checked.
const checkReaction: Check = (m, meta) =>
  isNonEmptyString(m.msgId) && typeof m.emoji === 'string'
    ? { meta }
    : { bad: 'reaction needs msgId and emoji' };

const otherMedia = mediaCheck('url', (m) => `${String(m.type)} needs url or id`);

/** §1.1 shapes, by `type`. */
const CHECKS = new Map<string, Check>([
  ['text', checkText],
  ['image', mediaCheck('originalUrl', () => 'image needs originalUrl or id')],
  ['file', mediaCheck('url', () => 'file needs url or id')],
  ['audio', otherMedia],
  ['video', otherMedia],
  ['sticker', otherMedia],
  ['location', checkLocation],
  ['contact', (m, meta) => (isObj(m.contact) ? { meta } : { bad: 'contact object is required' })],
  ['list', checkList],
  ['quick_reply', checkQuickReply],
  ['reaction', checkReaction],
]);

/** §1.1: the `message` field of a session message. */
export function validateSessionMessage(raw: string | null): Validation {
  const parsed = parseJsonField(raw, 'Message');
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (!isObj(m)) return { ok: false, error: 'Invalid Message: expected a JSON object' };
  let meta: MetaFailure | undefined;
  const caption = m.caption;
  if (caption !== undefined && typeof caption !== 'string') {
    return { ok: false, error: 'Invalid Message: caption must be a string' };
  }
  if (typeof caption === 'string' && charLen(caption) > 1024) {
    meta = invalid('caption longer than 1024 characters');
  }
  const check = typeof m.type === 'string' ? CHECKS.get(m.type) : undefined;
  const r = check ? check(m, meta) : { bad: `unsupported type ${JSON.stringify(m.type ?? null)}` };
  if ('bad' in r) return { ok: false, error: `Invalid Message: ${r.bad}` };
  return r.meta ? { ok: true, message: m, meta: r.meta } : { ok: true, message: m };
}

/** §2.1: the optional `message` header of a template (media, location or carousel). */
function validateTemplateHeader(
  rawHeader: string,
): { ok: true; header: Json } | { ok: false; error: string } {
  const h = parseJsonField(rawHeader, 'Message');
  if (!h.ok) return h;
  const header = h.value;
  if (!isObj(header) || !isNonEmptyString(header.type)) {
    return { ok: false, error: 'Invalid Message: type is required' };
  }
  const kind = header.type;
  if (kind === 'image' || kind === 'video' || kind === 'document') {
    const media = header[kind];
    if (!isObj(media) || !(isNonEmptyString(media.link) || isNonEmptyString(media.id))) {
      return { ok: false, error: `Invalid Message: ${kind} needs link or id` };
    }
  } else if (kind === 'location') {
    if (!isObj(header.location)) return { ok: false, error: 'Invalid Message: location is required' };
  } else if (kind === 'carousel') {
    if (!Array.isArray(header.cards)) return { ok: false, error: 'Invalid Message: carousel needs cards' };
  } else {
    return { ok: false, error: `Invalid Message: unsupported header type ${JSON.stringify(kind)}` };
  }
  return { ok: true, header };
}

/** §2.1: `template` = {"id","params":[strings]}; optional `message` header JSON and `postbackTexts`. */
export function validateTemplate(form: URLSearchParams): Validation {
  const t = parseJsonField(form.get('template'), 'Template');
  if (!t.ok) return t;
  const template = t.value;
  if (!isObj(template) || !isNonEmptyString(template.id)) {
    return { ok: false, error: 'Invalid Template: id is required' };
  }
  const params = template.params ?? [];
  if (!Array.isArray(params) || params.some((p) => typeof p !== 'string')) {
    return { ok: false, error: 'Invalid Template: params must be an array of strings' };
  }
  const record: Json = { type: 'template', template: { ...template, params } };

  const rawHeader = form.get('message');
  if (rawHeader !== null && rawHeader !== '') {
    const h = validateTemplateHeader(rawHeader);
    if (!h.ok) return h;
    record.message = h.header;
  }
  const rawPostback = form.get('postbackTexts');
  if (rawPostback !== null && rawPostback !== '') {
    const p = parseJsonField(rawPostback, 'postbackTexts');
    if (!p.ok || !Array.isArray(p.value)) return { ok: false, error: 'Invalid postbackTexts' };
    record.postbackTexts = p.value;
  }
  return { ok: true, message: record };
}
