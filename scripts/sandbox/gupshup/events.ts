/**
 * message-events (§3.4) and billing-events (§3.6) for an accepted message: planned at once (so a seed
 * gives the same run), then posted one by one after their delays, maybe duplicated or reordered (§3.1).
 */
import { randomBytes } from 'node:crypto';
import { deliver } from './callbacks.js';
import type { SandboxState } from './state.js';
import type { SandboxApp, SentMessage, StatusType } from './types.js';
import type { Json } from './util.js';

export interface Failure {
  code: number;
  reason: string;
  stage: 'sync' | 'async';
}

export interface Outcome {
  kind: 'ok' | 'failed';
  failure?: Failure;
}

type Builder = (tsMs: number) => Json;
type Envelope = { type: string; build: Builder };

/** What every event of one message shares. */
interface EventContext {
  isTemplate: boolean;
  category: string;
  gsId: string;
  wamid: string;
  destination: string;
}

function statusEvent(c: EventContext, type: StatusType): Builder {
  return (tsMs) => {
    const ts = Math.floor(tsMs / 1000);
    if (type === 'enqueued') {
      // §3.4: id = Gupshup id; inner {whatsappMessageId, type:"session"} — template value undocumented
      // (§11.6), sandbox choice: "template".
      return {
        id: c.gsId,
        type,
        destination: c.destination,
        payload: { whatsappMessageId: c.wamid, type: c.isTemplate ? 'template' : 'session' },
      };
    }
    const p: Json = { id: c.wamid, gsId: c.gsId, type, destination: c.destination, payload: { ts } };
    if (type === 'sent') {
      // §3.4: sent carries conversation{id,expiresAt,type} and pricing{policy,category,type}.
      p.conversation = { id: randomBytes(16).toString('hex'), expiresAt: ts + 86_400, type: c.category };
      p.pricing = { policy: 'PMP', category: c.category, type: 'regular' };
    }
    return p;
  };
}

function billingEvent(c: EventContext): Builder {
  return () => ({
    deductions: {
      type: 'regular',
      model: 'PMP',
      source: 'whatsapp',
      billable: c.isTemplate,
      category: c.category,
    },
    references: { id: c.wamid, gsId: c.gsId, destination: c.destination },
  });
}

function failedEnvelopes(s: SandboxState, c: EventContext, f: Failure, flow: StatusType[]): Envelope[] {
  const payload = { code: f.code, reason: f.reason };
  if (f.stage === 'sync') {
    // §3.4 failed (sync, Gupshup-side): id = Gupshup id, no gsId, no enqueued (never reached WhatsApp).
    const build = () => ({ id: c.gsId, type: 'failed', destination: c.destination, payload });
    return [{ type: 'message-event', build }];
  }
  // §3.4 failed (async, WhatsApp-side): after enqueued (+ maybe sent): id = WhatsApp id, gsId = Gupshup id.
  const envelopes: Envelope[] = [];
  if (flow.includes('enqueued')) envelopes.push({ type: 'message-event', build: statusEvent(c, 'enqueued') });
  if (flow.includes('sent') && s.rand() < 0.5) {
    envelopes.push({ type: 'message-event', build: statusEvent(c, 'sent') });
  }
  const build = () => ({ id: c.wamid, gsId: c.gsId, type: 'failed', destination: c.destination, payload });
  envelopes.push({ type: 'message-event', build });
  return envelopes;
}

function deliveredEnvelopes(c: EventContext, flow: StatusType[]): Envelope[] {
  const envelopes: Envelope[] = [];
  for (const st of flow) {
    envelopes.push({ type: 'message-event', build: statusEvent(c, st) });
    if (st === 'sent') envelopes.push({ type: 'billing-event', build: billingEvent(c) });
  }
  if (!flow.includes('sent')) {
    // billing-events are their own subscription mode (§3.9); still emitted, right after enqueued.
    const at = flow.indexOf('enqueued') + 1;
    envelopes.splice(at, 0, { type: 'billing-event', build: billingEvent(c) });
  }
  return envelopes;
}

function planEvents(s: SandboxState, app: SandboxApp, msg: SentMessage, outcome: Outcome): Json[] {
  const isTemplate = msg.message.type === 'template';
  const c: EventContext = {
    isTemplate,
    // §3.6 / §6.3 PMP: a template bills under its own category (marketing, utility, authentication),
    // session messages as free `service`.
    category: isTemplate ? (msg.rendered?.category.toLowerCase() ?? 'marketing') : 'service',
    gsId: msg.messageId,
    wamid: msg.whatsappMessageId,
    destination: msg.destination,
  };
  const flow = s.statusFlow;
  const envelopes =
    outcome.kind === 'failed' && outcome.failure
      ? failedEnvelopes(s, c, outcome.failure, flow)
      : deliveredEnvelopes(c, flow).filter((e) => s.billingEvents || e.type !== 'billing-event');
  // Logical (generation) times strictly increase (§3.2 `timestamp`, ms) even if delivery is reordered.
  let t = Date.now();
  return envelopes.map((e): Json => {
    t += Math.max(1, s.eventDelay());
    return { app: app.appName, timestamp: t, version: 2, type: e.type, payload: e.build(t) };
  });
}

export function scheduleEvents(s: SandboxState, app: SandboxApp, msg: SentMessage, outcome: Outcome): void {
  const bodies = planEvents(s, app, msg, outcome);
  // §3.1: retries ⇒ duplicates. Duplicate = identical body posted again.
  const deliveries: Json[] = [];
  for (const b of bodies) {
    deliveries.push(b);
    if (s.duplicateP > 0 && s.rand() < s.duplicateP) deliveries.push(b);
  }
  // §3.1: order is not guaranteed.
  if (s.reorder) {
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(s.rand() * (i + 1));
      const a = deliveries[i]!;
      deliveries[i] = deliveries[j]!;
      deliveries[j] = a;
    }
  }
  const delays = deliveries.map(() => s.eventDelay());
  void s.track(async () => {
    for (let i = 0; i < deliveries.length; i++) {
      if (!(await s.sleep(delays[i]!))) return;
      await deliver(s, app.appName, deliveries[i]!);
    }
  });
}
