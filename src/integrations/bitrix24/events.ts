import { z } from 'zod';
import { describeIssues, ValidationError } from '../../shared/errors.js';
import { INT_MAX, type iframeQuery } from '../../shared/validate.js';

/**
 * What Bitrix24 POSTs to the app (reference/bitrix24.md §1–§4), read into our own shapes: the install
 * page's form (§1.2), ONAPPINSTALL (§1.3), and the events we bind (§2.2, §4) as a union on the event
 * name. Everything arrives form-encoded, so every value is a string: numbers are coerced, and ids
 * beyond a PostgreSQL integer (or 2^53 for message ids) are refused, not stored.
 */

// ------------------------------------------------------------------ install page and ONAPPINSTALL

/** The install wizard's iframe POST (§1.2), once its tokens are proven (portals/install-proof.ts). */
export interface IframeInstall {
  domain: string;
  protocol: string | undefined;
  lang: string | undefined;
  accessToken: string;
  expiresInSec: number;
  refreshToken: string;
  serverEndpoint: string | undefined;
  applicationToken: string | undefined;
  memberId: string;
}

/** ONAPPINSTALL (§1.3), before it is proven like the install page. */
export interface EventInstall {
  memberId: string;
  domain: string;
  clientEndpoint: string;
  serverEndpoint: string | undefined;
  accessToken: string;
  refreshToken: string;
  expiresInSec: number;
  applicationToken: string;
  lang: string | undefined;
  userId: number | undefined;
}

const installPageBody = z.object({
  AUTH_ID: z.string().min(1).max(512),
  AUTH_EXPIRES: z.coerce.number().int().positive().max(86_400).default(3600),
  REFRESH_ID: z.string().min(1).max(512),
  SERVER_ENDPOINT: z.string().max(512).optional(),
  APPLICATION_TOKEN: z.string().min(1).max(256).optional(),
  member_id: z.string().min(1).max(128),
  PLACEMENT: z.string().max(64).optional(),
  PLACEMENT_OPTIONS: z.string().max(10_000).optional(),
});

/** The install page's form, with the query it was opened with (already read with `iframeQuery`). */
export function parseInstallPage(query: z.infer<typeof iframeQuery>, body: unknown): IframeInstall {
  const b = installPageBody.safeParse(body);
  if (!b.success) throw new ValidationError(describeIssues(b.error.issues));
  return {
    domain: query.DOMAIN,
    protocol: query.PROTOCOL,
    lang: query.LANG,
    accessToken: b.data.AUTH_ID,
    expiresInSec: b.data.AUTH_EXPIRES,
    refreshToken: b.data.REFRESH_ID,
    serverEndpoint: b.data.SERVER_ENDPOINT,
    applicationToken: b.data.APPLICATION_TOKEN,
    memberId: b.data.member_id,
  };
}

const installEventAuth = z.object({
  member_id: z.string().min(1).max(128),
  application_token: z.string().min(1).max(256),
  domain: z.string().min(1).max(255),
  access_token: z.string().min(1).max(512),
  refresh_token: z.string().min(1).max(512),
  expires_in: z.coerce.number().int().positive().default(3600),
  client_endpoint: z.url(),
  server_endpoint: z.string().max(512).optional(),
  user_id: z.coerce.number().int().positive().max(INT_MAX).optional().catch(undefined),
});

/** ONAPPINSTALL comes to the install URL or the events URL alike, whatever the case of its name. */
export function isInstallEvent(body: unknown): boolean {
  const event = (body as { event?: unknown } | null)?.event;
  return typeof event === 'string' && event.toUpperCase() === 'ONAPPINSTALL';
}

export function parseInstallEvent(body: unknown): EventInstall {
  const { auth, data } = (body ?? {}) as { auth?: unknown; data?: { LANGUAGE_ID?: unknown } };
  const a = installEventAuth.safeParse(auth);
  if (!a.success) {
    throw new ValidationError(`ONAPPINSTALL without usable auth: ${describeIssues(a.error.issues)}`);
  }
  const lang = data?.LANGUAGE_ID;
  return {
    memberId: a.data.member_id,
    domain: a.data.domain,
    clientEndpoint: a.data.client_endpoint,
    serverEndpoint: a.data.server_endpoint,
    accessToken: a.data.access_token,
    refreshToken: a.data.refresh_token,
    expiresInSec: a.data.expires_in,
    applicationToken: a.data.application_token,
    lang: typeof lang === 'string' ? lang : undefined,
    userId: a.data.user_id,
  };
}

// ------------------------------------------------------------------ events (§2.2)

const eventAuth = z
  .object({
    member_id: z.string().min(1).max(128).optional(),
    application_token: z.string().max(256).optional(),
    domain: z.string().max(255).optional(),
    access_token: z.string().max(512).optional(),
    refresh_token: z.string().max(512).optional(),
    expires_in: z.coerce.number().optional(),
    client_endpoint: z.string().max(512).optional(),
    server_endpoint: z.string().max(512).optional(),
    user_id: z.coerce.number().optional(),
  })
  .loose();
const envelope = z
  .object({ event: z.string().min(1).max(64), data: z.unknown().optional(), auth: eventAuth.optional() })
  .loose();

/** Any event's envelope: its name (upper case, as delivered), its data, and who claims to send it. */
export interface EventEnvelope {
  name: string;
  data: unknown;
  memberId: string | undefined;
  applicationToken: string | undefined;
}

export function parseEventEnvelope(body: unknown): EventEnvelope {
  const e = envelope.safeParse(body);
  if (!e.success) throw new ValidationError(`Not a Bitrix24 event: ${describeIssues(e.error.issues)}`);
  return {
    name: e.data.event.toUpperCase(),
    data: e.data.data,
    memberId: e.data.auth?.member_id,
    applicationToken: e.data.auth?.application_token,
  };
}

const lineId = z.coerce.number().int().positive().max(INT_MAX);
const messageId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** Bitrix24 sends a list as an array, or as an object keyed by index once it is form-encoded. */
const listOf = <T extends z.ZodType>(item: T) =>
  z.union([z.array(item), z.record(z.string(), item)]).transform((v) => Object.values(v) as z.output<T>[]);

/** An operator's message to the customer (§4.1). */
export interface OperatorMessage {
  imChatId: number;
  imMessageId: number;
  text: string;
  files: unknown[];
  externalChatId: string;
  userId: number | null;
}

const operatorMessage = z
  .object({
    im: z.object({ chat_id: messageId, message_id: messageId }).loose(),
    message: z
      .object({
        user_id: z.coerce.number().int().optional().catch(undefined),
        text: z.string().max(100_000).optional().default(''),
        files: listOf(z.unknown()).optional(),
      })
      .loose(),
    chat: z.object({ id: z.coerce.string().min(1).max(128) }).loose(),
  })
  .loose()
  .transform((m): OperatorMessage => ({
    imChatId: m.im.chat_id,
    imMessageId: m.im.message_id,
    text: m.message.text,
    files: m.message.files ?? [],
    externalChatId: m.chat.id,
    userId: m.message.user_id ?? null,
  }));

/** An operator's edit or deletion (§4.2, §4.3): `im.message_id` is the message, `text` on updates. */
export interface OperatorChange {
  imMessageId: number;
  text?: string;
}

const changedMessage = z
  .object({
    im: z.object({ message_id: messageId }).loose(),
    message: z
      .object({ text: z.string().max(100_000).optional() })
      .loose()
      .optional(),
  })
  .loose()
  .transform((m): OperatorChange => ({
    imMessageId: m.im.message_id,
    ...(m.message?.text !== undefined ? { text: m.message.text } : {}),
  }));

const messageAdd = z
  .object({
    CONNECTOR: z.string().min(1),
    LINE: z.coerce.number().int().nonnegative().max(INT_MAX),
    MESSAGES: listOf(operatorMessage),
  })
  .loose()
  .transform((d) => ({ connector: d.CONNECTOR, line: d.LINE, messages: d.MESSAGES }));

const messageChange = z
  .object({ CONNECTOR: z.string().min(1), MESSAGES: listOf(changedMessage) })
  .loose()
  .transform((d) => ({ connector: d.CONNECTOR, messages: d.MESSAGES }));

/** OnImConnectorStatusDelete names the line in lower case (§4.6); upper case is taken as well. */
const statusDelete = z
  .object({
    connector: z.string().optional(),
    CONNECTOR: z.string().optional(),
    line: lineId.optional(),
    LINE: lineId.optional(),
  })
  .loose()
  .transform((d, ctx) => {
    const line = d.line ?? d.LINE;
    if (!line) {
      ctx.addIssue({ code: 'custom', message: 'data.line is required' });
      return z.NEVER;
    }
    return { line, connector: d.connector ?? d.CONNECTOR };
  });

/**
 * ONCRMDEALADD / ONCRMDEALUPDATE / ONCRMLEADADD (b24restdocs crm/deals/events, crm/leads/events):
 * `data[FIELDS][ID]` and nothing else; the app reads the record back. The id must be plain digits,
 * as Bitrix24 writes it: anything else is not from Bitrix24.
 */
const crmRecordId = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'must be a record id')
  .transform(Number)
  .refine((n) => Number.isSafeInteger(n), 'must be a record id');
const crmRecord = z
  .object({
    FIELDS: z
      .object({ ID: z.union([crmRecordId, z.number().int().positive().max(Number.MAX_SAFE_INTEGER)]) })
      .loose(),
  })
  .loose()
  .transform((d) => ({ id: d.FIELDS.ID }));

const knownEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('ONIMCONNECTORMESSAGEADD'), data: messageAdd }),
  z.object({ event: z.literal('ONIMCONNECTORMESSAGEUPDATE'), data: messageChange }),
  z.object({ event: z.literal('ONIMCONNECTORMESSAGEDELETE'), data: messageChange }),
  z.object({ event: z.literal('ONIMCONNECTORLINEDELETE'), data: lineId }),
  z.object({ event: z.literal('ONIMCONNECTORSTATUSDELETE'), data: statusDelete }),
  z.object({ event: z.literal('ONAPPUNINSTALL') }),
  z.object({ event: z.literal('ONCRMDEALADD'), data: crmRecord }),
  z.object({ event: z.literal('ONCRMDEALUPDATE'), data: crmRecord }),
  z.object({ event: z.literal('ONCRMLEADADD'), data: crmRecord }),
]);
type KnownEvent = z.output<typeof knownEvent>;

/** An event this version has no use for: acknowledged by name (names arrive upper case). */
export interface OtherEvent {
  event: 'other';
  name: string;
}

export type Bitrix24Event = KnownEvent | OtherEvent;

const refusal: Record<KnownEvent['event'], (why: string) => string> = {
  ONIMCONNECTORMESSAGEADD: (why) => `Invalid message event: ${why}`,
  ONIMCONNECTORMESSAGEUPDATE: (why) => `Invalid message event: ${why}`,
  ONIMCONNECTORMESSAGEDELETE: (why) => `Invalid message event: ${why}`,
  ONIMCONNECTORLINEDELETE: () => 'data must be the deleted line id',
  ONIMCONNECTORSTATUSDELETE: () => 'data.line is required',
  ONAPPUNINSTALL: (why) => why,
  ONCRMDEALADD: (why) => `Invalid CRM event: ${why}`,
  ONCRMDEALUPDATE: (why) => `Invalid CRM event: ${why}`,
  ONCRMLEADADD: (why) => `Invalid CRM event: ${why}`,
};
const isKnown = (name: string): name is KnownEvent['event'] => Object.hasOwn(refusal, name);

/** An event's data, read by its name; a known event with data we cannot use is a 400 saying why. */
export function parseEvent(e: EventEnvelope): Bitrix24Event {
  if (!isKnown(e.name)) return { event: 'other', name: e.name };
  const r = knownEvent.safeParse({ event: e.name, data: e.data });
  if (r.success) return r.data;
  // Issues are named from inside `data`, as a caller reads the event.
  const issues = r.error.issues.map((i) => ({ ...i, path: i.path.slice(1) }));
  throw new ValidationError(refusal[e.name](describeIssues(issues)));
}
