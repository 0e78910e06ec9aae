import { z } from 'zod';
import { describeIssues, ValidationError } from '../../shared/errors.js';
import { parseBillingEvent, type BillingEvent } from './billing-event.js';

export type { BillingEvent } from './billing-event.js';

/**
 * Parses what Gupshup POSTs to a channel's callback URL (reference/gupshup.md §3) into our own union.
 * v2 ("Gupshup format") is understood; a v3 (Meta-format) body is recognised and refused by name so the
 * misconfiguration is visible; unknown v2 types are acknowledged and traced (fail open on new types).
 */

const text = z.string().max(100_000);

const envelope = z
  .object({
    app: z.string().optional(),
    timestamp: z.coerce.number().optional(),
    version: z.coerce.number().optional(),
    type: z.string().min(1),
    payload: z.unknown(),
  })
  .loose();

/**
 * A field the open line shows as text (inbound-text.ts): a string, or a number at most. An object
 * there would be stored as an empty message that Bitrix24 refuses until it is dead-lettered.
 */
const textField = z.union([text, z.number(), z.null()]).optional();

/**
 * The inner payload of every type in reference §3.3; both shapes of a template button tap (outer type
 * `quick_reply`, or `text` with `type: "button"`) carry their label in `text`. Other keys pass as is.
 */
const inboundPayload = z
  .object({
    text: textField,
    caption: textField,
    name: textField,
    title: textField,
    reply: textField,
    postbackText: textField,
    description: textField,
    address: textField,
    emoji: textField,
  })
  .loose();

const inboundMessage = z
  .object({
    id: z.string().min(1).max(256),
    source: z.string().optional(),
    type: z.string().min(1).max(64),
    payload: inboundPayload.default({}),
    sender: z
      .object({
        phone: z.string().regex(/^\+?\d{6,20}$/, 'digits with country code'),
        name: z.string().max(256).optional(),
        country_code: z.coerce.string().optional(),
        dial_code: z.coerce.string().optional(),
      })
      .loose(),
    context: z.object({ id: z.string().optional(), gsId: z.string().optional() }).loose().optional(),
  })
  .loose()
  .refine((m) => m.type !== 'text' || (m.payload.text !== undefined && m.payload.text !== null), {
    path: ['payload', 'text'],
    message: 'a text message needs its text',
  });

const messageEvent = z
  .object({
    id: z.string().min(1).max(256),
    gsId: z.string().max(256).optional(),
    gs_id: z.string().max(256).optional(),
    type: z.string().min(1).max(32),
    destination: z.string().max(32).optional(),
    payload: z
      .object({
        code: z.coerce.string().optional(),
        reason: text.optional(),
        ts: z.coerce.number().optional(),
        whatsappMessageId: z.string().optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

export interface InboundMessage {
  kind: 'message';
  app: string | undefined;
  waMessageId: string;
  type: string;
  phone: string;
  name: string | undefined;
  content: Record<string, unknown>;
  timestampMs: number;
  contextGsId: string | undefined;
}

export interface StatusEvent {
  kind: 'status';
  app: string | undefined;
  status: string;
  /** Gupshup's id for our message: gsId when present, else payload.id (enqueued, sync failures). */
  gupshupId: string;
  hasGsId: boolean;
  id: string;
  destination: string | undefined;
  code: string | undefined;
  reason: string | undefined;
  whatsappMessageId: string | undefined;
  timestampMs: number;
}

export interface OtherEvent {
  kind: 'other';
  app: string | undefined;
  type: string;
  subtype: string | undefined;
}

/**
 * A template's review moved on (§3.7 `template-event`): `status-update` (approved, rejected with
 * `rejectedReason`, paused with a description, disabled, deleted, in_appeal) or `category-update`
 * (Meta re-categorises: an alert `{current, correct}`, the change itself `{old, new}`).
 */
export interface TemplateEvent {
  kind: 'template';
  app: string | undefined;
  event: 'status-update' | 'category-update';
  templateId: string | undefined;
  elementName: string | undefined;
  language: string | undefined;
  /** Lower case. */
  status: string | undefined;
  reason: string | undefined;
  description: string | undefined;
  /** `alert`: Meta announces the change ({current, correct}); otherwise it was made ({old, new}). */
  category: { from: string | undefined; to: string | undefined; alert: boolean } | undefined;
}

export type GupshupCallback = InboundMessage | StatusEvent | TemplateEvent | BillingEvent | OtherEvent;

export function parseGupshupCallback(body: unknown): GupshupCallback {
  if (body && typeof body === 'object' && ('entry' in body || 'object' in body) && !('type' in body)) {
    throw new ValidationError(
      'This is a v3 (Meta format) callback; set the Gupshup subscription to version 2',
    );
  }
  const env = envelope.safeParse(body);
  if (!env.success) {
    throw new ValidationError(`Not a Gupshup v2 callback: ${describeIssues(env.error.issues)}`);
  }
  const e = env.data;
  const ts = plausibleMs(e.timestamp);
  if (e.type === 'message') {
    const m = inboundMessage.safeParse(e.payload);
    if (!m.success) throw new ValidationError(`Invalid message payload: ${describeIssues(m.error.issues)}`);
    return {
      kind: 'message',
      app: e.app,
      waMessageId: m.data.id,
      type: m.data.type,
      phone: m.data.sender.phone.replace(/^\+/, ''),
      name: m.data.sender.name,
      content: m.data.payload,
      timestampMs: ts,
      contextGsId: m.data.context?.gsId,
    };
  }
  const innerType =
    e.payload && typeof e.payload === 'object' ? (e.payload as { type?: unknown }).type : undefined;
  // `mismatch` (dialled number ≠ WhatsApp id, §3.4) has no id: informational, acknowledged.
  if (e.type === 'message-event' && innerType !== 'mismatch') {
    const s = messageEvent.safeParse(e.payload);
    if (!s.success) {
      throw new ValidationError(`Invalid message-event payload: ${describeIssues(s.error.issues)}`);
    }
    const gs = s.data.gsId ?? s.data.gs_id;
    return {
      kind: 'status',
      app: e.app,
      status: s.data.type,
      gupshupId: gs ?? s.data.id,
      hasGsId: Boolean(gs),
      id: s.data.id,
      destination: s.data.destination,
      code: s.data.payload?.code,
      reason: s.data.payload?.reason,
      whatsappMessageId: s.data.payload?.whatsappMessageId,
      timestampMs: s.data.payload?.ts ? plausibleMs(s.data.payload.ts) : ts,
    };
  }
  if (e.type === 'billing-event') return parseBillingEvent(e.app, e.payload);
  if (e.type === 'template-event' && (innerType === 'status-update' || innerType === 'category-update')) {
    return templateEvent(e.app, innerType, e.payload);
  }
  const inner =
    e.payload && typeof e.payload === 'object' ? (e.payload as { type?: unknown }).type : undefined;
  return { kind: 'other', app: e.app, type: e.type, subtype: typeof inner === 'string' ? inner : undefined };
}

const short = z.string().max(1000).optional().catch(undefined);
const templatePayload = z
  .object({
    id: z.string().min(1).max(256).optional(),
    elementName: z.string().min(1).max(512).optional(),
    languageCode: z.string().min(1).max(32).optional(),
    status: short,
    rejectedReason: short,
    reason: short,
    description: short,
    category: z
      .object({ current: short, correct: short, old: short, new: short })
      .loose()
      .optional()
      .catch(undefined),
  })
  .loose()
  .refine((p) => p.id !== undefined || p.elementName !== undefined, {
    message: 'a template event names its template (id or elementName)',
  });

function templateEvent(
  app: string | undefined,
  event: 'status-update' | 'category-update',
  payload: unknown,
): TemplateEvent {
  const t = templatePayload.safeParse(payload);
  if (!t.success) {
    throw new ValidationError(`Invalid template-event payload: ${describeIssues(t.error.issues)}`);
  }
  const c = t.data.category;
  const alert = c !== undefined && (c.current !== undefined || c.correct !== undefined);
  return {
    kind: 'template',
    app,
    event,
    templateId: t.data.id,
    elementName: t.data.elementName,
    language: t.data.languageCode,
    status: t.data.status?.toLowerCase(),
    reason: t.data.rejectedReason ?? t.data.reason,
    description: t.data.description,
    category:
      event === 'category-update' && c
        ? { from: alert ? c.current : c.old, to: alert ? c.correct : c.new, alert }
        : undefined,
  };
}

/**
 * Gupshup times are ms in envelopes and seconds inside events; anything outside 2015 … a day ahead is
 * not a time we can store, and "now" is the honest substitute.
 */
function plausibleMs(t: number | undefined): number {
  if (t === undefined || !Number.isFinite(t) || t <= 0) return Date.now();
  const ms = t > 1e11 ? t : t * 1000;
  return ms < 1_420_070_400_000 || ms > Date.now() + 86_400_000 ? Date.now() : ms;
}
