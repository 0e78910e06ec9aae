/**
 * What the Gupshup sandbox's own tests share: a receiver standing in for the app's callback URL, a
 * sandbox with one app pointed at it, and helpers to call the send API. `sb` and `rx` are the ones of
 * the running test (set by `setup()`).
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandboxGupshup } from '../../../scripts/sandbox/gupshup/index.js';
import type { SandboxGupshup, SandboxGupshupOptions } from '../../../scripts/sandbox/gupshup/index.js';

export type Json = Record<string, unknown>;

interface Received {
  body: Json;
  headers: IncomingHttpHeaders;
  raw: string;
}

export interface Receiver {
  url: string;
  got: Received[];
  /** status to answer for the n-th request (0-based); default 200 */
  answer: (n: number, body: Json) => number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const got: Received[] = [];
  const r: Partial<Receiver> = { got, answer: () => 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw) as Json;
      const n = got.length;
      got.push({ body, headers: req.headers, raw });
      res.statusCode = r.answer!(n, body);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  r.url = `http://127.0.0.1:${port}/webhooks/gupshup/ch1/secret`;
  // Closing twice is fine (a test may stop the receiver before teardown does).
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r as Receiver;
}

export const APP = { appName: 'DemoApp01', apiKey: 'key-demo-0001', sourceNumber: '917834811114' };
export const DEST = '919876543210';

export let sb: SandboxGupshup;
export let rx: Receiver;
/** The app id of APP in the running test. */
export let appId: string;

export async function setup(opts: SandboxGupshupOptions = {}): Promise<void> {
  rx = await startReceiver();
  sb = await startSandboxGupshup({
    eventDelayMs: [1, 3],
    callbackRetry: { attempts: 3, delayMs: 10 },
    ...opts,
  });
  appId = sb.addApp({ ...APP, callbackUrl: rx.url }).appId;
}

export async function teardown(): Promise<void> {
  await sb.close();
  await rx.close();
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export function sessionFields(
  message: Json | string,
  over: Record<string, string> = {},
): Record<string, string> {
  return {
    channel: 'whatsapp',
    source: APP.sourceNumber,
    destination: DEST,
    'src.name': APP.appName,
    message: typeof message === 'string' ? message : JSON.stringify(message),
    ...over,
  };
}

export async function post(
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = { apikey: APP.apiKey },
  contentType = 'application/x-www-form-urlencoded',
): Promise<{ status: number; contentType: string | null; text: string; json: Json | null }> {
  const res = await fetch(sb.url + path, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: contentType.includes('json') ? JSON.stringify(fields) : form(fields),
  });
  const text = await res.text();
  let json: Json | null = null;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = null;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json };
}

export const sendText = (text = 'Hello', over: Record<string, string> = {}) =>
  post('/wa/api/v1/msg', sessionFields({ type: 'text', text }, over));

export function payloadOf(b: Json): Json {
  return b.payload as Json;
}

export function eventsFor(messageId: string, wamid: string): Json[] {
  return rx.got
    .map((g) => g.body)
    .filter((b) => {
      const p = payloadOf(b);
      if (b.type === 'billing-event') return (p.references as Json).gsId === messageId;
      return b.type === 'message-event' && (p.id === messageId || p.gsId === messageId || p.id === wamid);
    });
}

/** A call to the app APIs (§4.1) with the app's key unless `key` says otherwise (null: none). */
export async function call(
  method: string,
  path: string,
  o: { key?: string | null; form?: Record<string, string> } = {},
): Promise<{ status: number; json: Json }> {
  const key = o.key === undefined ? APP.apiKey : o.key;
  const headers: Record<string, string> = key === null ? {} : { apikey: key };
  const init: RequestInit = { method, headers };
  if (o.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(o.form).toString();
  }
  const res = await fetch(sb.url + path, init);
  return { status: res.status, json: (await res.json()) as Json };
}

/** §4.3 create fields of a valid TEXT template; `over` replaces or adds fields. */
export function templateForm(over: Record<string, string> = {}): Record<string, string> {
  return {
    elementName: 'order_update',
    languageCode: 'en',
    category: 'UTILITY',
    templateType: 'TEXT',
    vertical: 'orders',
    content: 'Hi {{1}}, your order {{2}} has shipped.',
    example: 'Hi Ana, your order 1234 has shipped.',
    ...over,
  };
}

/** The template-event callbacks the receiver got, oldest first. */
export function templateEvents(): Json[] {
  return rx.got.map((g) => g.body).filter((b) => b.type === 'template-event');
}
