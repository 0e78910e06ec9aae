/** The send API (§1 session messages, §2.1 templates): checks, the answer, then the events. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { scheduleEvents, type Outcome } from './events.js';
import { answerFault, takeDeliveryFailure } from './faults.js';
import { apiKeyOf, headerValue, readBody, respond, TEMPLATE_PATH } from './http.js';
import { fetchMedia, MEDIA_LIMITS } from './media.js';
import type { SandboxState } from './state.js';
import { resolveTemplateSend } from './template-send.js';
import type { RenderedTemplate, SandboxApp, SentMessage } from './types.js';
import { errorBody, isNonEmptyString, newWamid } from './util.js';
import { validateSessionMessage, validateTemplate, type Validation } from './validate.js';

export async function handleSend(
  s: SandboxState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const raw = await readBody(req);
  if (raw === null) return respond(s, res, path, 413, errorBody('Request Entity Too Large'));
  // Injected HTTP-level faults (outage / rate limit, §1.2, §7) hit before anything else.
  if (answerFault(s, res, path)) return;

  const app = s.appByKey(apiKeyOf(req));
  if (!app) return respond(s, res, path, 401, errorBody('Authentication Failed'));

  // §1: form-urlencoded body. Anything else leaves every field missing.
  const ctype = headerValue(req, 'content-type') ?? '';
  const form = ctype.toLowerCase().includes('application/x-www-form-urlencoded')
    ? new URLSearchParams(raw.toString('utf8'))
    : new URLSearchParams();

  // Sandbox choice: `channel` is required on both endpoints (§2.1 "send it").
  if (form.get('channel') !== 'whatsapp') return respond(s, res, path, 400, errorBody('Invalid Channel'));
  // §1: src.name + source must be the key's app (§2.1: always send src.name).
  const source = form.get('source');
  const srcName = form.get('src.name');
  if (source !== app.sourceNumber || srcName !== app.appName) {
    return respond(s, res, path, 400, errorBody('Invalid App Details'));
  }
  // §0: digits only, with country code, no `+`.
  const destination = form.get('destination') ?? '';
  if (!/^\d{8,15}$/.test(destination)) return respond(s, res, path, 400, errorBody('Invalid Destination'));

  const v = path === TEMPLATE_PATH ? validateTemplate(form) : validateSessionMessage(form.get('message'));
  if (!v.ok) return respond(s, res, path, 400, errorBody(v.error));
  if (path !== TEMPLATE_PATH) return accept(s, res, path, app, { source, destination, v });
  // §2.1/§4: the template id is resolved among the app's stored templates.
  const tpl = resolveTemplateSend(s, app, v.message);
  const meta = v.meta ?? tpl.meta;
  accept(s, res, path, app, { source, destination, v: meta ? { ...v, meta } : v, rendered: tpl.rendered });
}

type Accepted = Extract<Validation, { ok: true }>;

/** Decides the outcome now (deterministic order): wallet (Gupshup-side) → injected failure → Meta limits. */
function decideOutcome(s: SandboxState, app: SandboxApp, destination: string, v: Accepted): Outcome {
  if (app.walletEmpty) {
    // §5.2 / §8: empty wallet ⇒ failed 1003, Gupshup-side ⇒ sync shape (§3.4).
    return {
      kind: 'failed',
      failure: { code: 1003, reason: 'Message sending failed as wallet balance is low', stage: 'sync' },
    };
  }
  const failure = takeDeliveryFailure(s, destination);
  if (failure) return { kind: 'failed', failure };
  // Meta refused the request ⇒ no WhatsApp message exists ⇒ sync shape (id = Gupshup id).
  if (v.meta) return { kind: 'failed', failure: { ...v.meta, stage: 'sync' } };
  return { kind: 'ok' };
}

function accept(
  s: SandboxState,
  res: ServerResponse,
  path: string,
  app: SandboxApp,
  o: { source: string; destination: string; v: Accepted; rendered?: RenderedTemplate | undefined },
): void {
  const msg: SentMessage = {
    messageId: randomUUID(),
    whatsappMessageId: newWamid(),
    appName: app.appName,
    source: o.source,
    destination: o.destination,
    message: o.v.message,
    at: Date.now(),
  };
  if (o.rendered) msg.rendered = o.rendered;
  s.sentLog.push(msg);
  const outcome = decideOutcome(s, app, o.destination, o.v);

  // §1.2: accepted ⇒ 2xx {"status":"submitted","messageId"} with Content-Type text/html (quirk).
  respond(s, res, path, 202, { status: 'submitted', messageId: msg.messageId }, 'text/html; charset=UTF-8');
  s.log(
    `[gupshup] accepted ${String(msg.message.type)} ${msg.messageId} → ${o.destination} (${outcome.kind})`,
  );
  const mediaUrl = msg.message.type === 'image' ? msg.message.originalUrl : msg.message.url;
  if (outcome.kind === 'ok' && MEDIA_LIMITS[String(msg.message.type)] && isNonEmptyString(mediaUrl)) {
    void s.track(() => failUnreadableMedia(s, app, msg, mediaUrl, outcome));
    return;
  }
  scheduleEvents(s, app, msg, outcome);
}

/** §1.1: media by URL is fetched by Gupshup; a link it cannot read fails the message (§8 1010/1011). */
async function failUnreadableMedia(
  s: SandboxState,
  app: SandboxApp,
  msg: SentMessage,
  url: string,
  outcome: Outcome,
): Promise<void> {
  msg.media = await fetchMedia(s, url);
  const limit = MEDIA_LIMITS[String(msg.message.type)] ?? Infinity;
  let o = outcome;
  if (msg.media.status !== 200) {
    o = { kind: 'failed', failure: { code: 1010, reason: 'Invalid media URL', stage: 'sync' } };
  } else if (msg.media.bytes > limit) {
    o = { kind: 'failed', failure: { code: 1011, reason: 'Media size exceeds the limit', stage: 'sync' } };
  }
  if (!s.closed) scheduleEvents(s, app, msg, o);
}
