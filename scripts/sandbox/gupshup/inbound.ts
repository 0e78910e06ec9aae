/** Customer messages to the app (§3.3): the `message` callback of each type. */
import { postOnce } from './callbacks.js';
import { inboundMediaPayload } from './media.js';
import type { SandboxState } from './state.js';
import type { CustomerMessage } from './types.js';
import { newWamid, type Json } from './util.js';

// ITU calling codes are a prefix code: 1 and 7 are one digit, these are two, everything else three.
const TWO_DIGIT_CODES = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(
    ' ',
  ),
);

const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'file', 'sticker']);

/** §3.3 sender block: `country_code` + `dial_code` (national part). */
function splitPhone(phone: string): { country_code: string; dial_code: string } {
  let n = 3;
  if (phone.startsWith('1') || phone.startsWith('7')) n = 1;
  else if (TWO_DIGIT_CODES.has(phone.slice(0, 2))) n = 2;
  return { country_code: phone.slice(0, n), dial_code: phone.slice(n) };
}

/** §3.3 inner payload of the types that carry no file. */
function plainPayload(type: string, text: string | undefined): Json {
  switch (type) {
    case 'text':
      return { text: text ?? 'Hi' };
    case 'location':
      return { longitude: '72.8552172', latitude: '19.1453658' }; // §3.3: strings
    case 'contact': {
      const name = { first_name: 'Jane', formatted_name: text ?? 'Jane Doe', last_name: 'Doe' };
      const phones = [{ phone: '+44 20 7946 0000', type: 'CELL' }];
      return { contacts: [{ addresses: [], emails: [], name, org: {}, phones, urls: [] }] };
    }
    case 'list_reply': {
      const title = text ?? 'Row 1';
      return { title, id: 'list1', reply: `${title} 1`, postbackText: 'row1', description: '' };
    }
    case 'button_reply': {
      const title = text ?? 'Yes';
      return { title, id: 'qr1', reply: `${title} 1` };
    }
    case 'quick_reply':
      // §3.3: tap on a template quick-reply button.
      return { text: text ?? 'Yes', type: 'button' };
    case 'reaction':
      return { emoji: text ?? '👍' };
    default:
      return text !== undefined ? { text } : {};
  }
}

function inboundPayload(
  s: SandboxState,
  type: string,
  text: string | undefined,
  extra: Json | undefined,
): Json {
  if (MEDIA_TYPES.has(type)) return inboundMediaPayload(s, type, text, extra);
  return { ...plainPayload(type, text), ...extra };
}

/**
 * A customer writes: the `message` callback, posted `times` times with the identical body (Gupshup's
 * retry ⇒ same payload.id, §3.1); no automatic retries here so the caller sees every status.
 */
export async function customerSends(
  s: SandboxState,
  o: CustomerMessage,
): Promise<{ id: string; statuses: Array<number | null> }> {
  const app = s.requireApp(o.appName);
  if (!/^\d{8,15}$/.test(o.from)) {
    throw new Error(`sandbox gupshup: customer phone must be digits only: ${o.from}`);
  }
  const type = o.type ?? 'text';
  const id = newWamid();
  const inner: Json = {
    id,
    source: o.from,
    type,
    payload: inboundPayload(s, type, o.text, o.payload),
    sender: { phone: o.from, name: o.name ?? 'Sandbox Customer', ...splitPhone(o.from) },
  };
  if (o.context) inner.context = o.context;
  const body: Json = {
    app: app.appName,
    timestamp: o.timestamp ?? Date.now(),
    version: 2,
    type: 'message',
    payload: inner,
  };
  const url = app.callbackUrl;
  if (!url) throw new Error(`sandbox gupshup: app ${app.appName} has no callback URL`);
  const statuses: Array<number | null> = [];
  const times = Math.max(1, o.times ?? 1);
  await s.track(async () => {
    for (let i = 1; i <= times && !s.closed; i++) statuses.push(await postOnce(s, app.appName, url, body, i));
  });
  return { id, statuses };
}
