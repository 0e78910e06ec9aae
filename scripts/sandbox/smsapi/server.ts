/**
 * Sandbox SMSAPI — a local stand-in for SMSAPI (reference payments-and-sms.md §4), written from the
 * reference and never importing from src/:
 *
 *  - POST /sms.do (§4.2, §4.3): form-encoded or JSON, `Authorization: Bearer <token>`; errors come
 *    back with HTTP 200 `{ error, message, invalid_numbers? }` — 101 bad token, 11 empty message,
 *    13 no valid number, 14 sender not active, 12 more parts than `max_parts` (at most 6), 53 a
 *    repeated `idx` with `check_idx=1` within 24 h, 103 not enough points. Points per part are
 *    taken from the token's balance; `test=1` prices without sending or charging; `details=1` adds
 *    `message`, `length`, `parts`; `normalize=1` drops accents; without `format=json` the legacy
 *    `OK:<id>:<points>` / `ERROR:<code>` text.
 *  - GET /profile (§4.6) and GET /sms/sendernames (the client's `Sendername` typing): one active
 *    default sender "WAB24", "Test" active, "PROMO" inactive.
 *  - delivery reports to `notify_url` (§4.4; reports.ts).
 *  - test controls on the returned object (like the Gupshup and portal sandboxes): accounts and
 *    points, held/released/repeated reports, injected HTTP faults and slow answers.
 *
 * Choices where the reference is silent are marked "sandbox choice".
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { header, readBody } from '../payment-http.js';
import {
  MESSAGES,
  refuse,
  sendSms,
  SmsapiRefusal,
  type SandboxAccount,
  type SandboxSms,
  type SmsParams,
} from './model.js';
import { reportsFor, ReportSender } from './reports.js';

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  /** SMSAPI's error code when the answer was an error body. */
  error: number | null;
  /** The parameters of sms.do as received (tests check what the client sent). */
  params: SmsParams | null;
}

export interface Fault {
  status?: number;
  /** Answer this late (a client's time-out). */
  delayMs?: number;
}

export interface SmsapiState {
  accounts: Map<string, SandboxAccount>;
  sent: SandboxSms[];
  requests: RequestRecord[];
  faults: Fault[];
  reports: ReportSender;
  pricePerPart: number;
  timers: Set<NodeJS.Timeout>;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Form-encoded or JSON (§4.1), every value read as text (JSON true → "1"). */
function params(req: IncomingMessage, body: string, query: URLSearchParams): SmsParams {
  const out: SmsParams = Object.fromEntries(query);
  if ((header(req, 'content-type') ?? '').includes('application/json')) {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return out;
    }
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      for (const [k, v] of Object.entries(json)) {
        if (v === true) out[k] = '1';
        else if (v === false) out[k] = '0';
        else if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
        else if (Array.isArray(v)) out[k] = v.map(String).join(',');
      }
    }
    return out;
  }
  return { ...out, ...Object.fromEntries(new URLSearchParams(body)) };
}

function account(s: SmsapiState, req: IncomingMessage): SandboxAccount | undefined {
  const m = /^Bearer (.+)$/.exec(header(req, 'authorization') ?? '');
  return m ? s.accounts.get(m[1]!) : undefined;
}

async function handle(s: SmsapiState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const body = await readBody(req);
  const method = req.method ?? 'GET';
  const rec: RequestRecord = { method, path: url.pathname, status: 200, error: null, params: null };
  s.requests.push(rec);
  const fault = s.faults.shift();
  if (fault?.delayMs) await new Promise((r) => s.timers.add(setTimeout(r, fault.delayMs)));
  if (fault?.status) {
    rec.status = fault.status;
    // Sandbox choice: an outage answers like a gateway would, in HTML.
    return reply(res, fault.status, `<html><body><h1>${fault.status}</h1></body></html>`);
  }
  const acc = account(s, req);
  if (url.pathname === '/sms.do' && method === 'POST') {
    const p = params(req, body, url.searchParams);
    rec.params = p;
    const json = p.format === 'json';
    try {
      if (!acc) throw refuse(101);
      const out = sendSms(acc, p, Date.now(), s.pricePerPart);
      if (!out.test) {
        s.sent.push(...out.list);
        for (const sms of out.list) if (sms.notifyUrl) s.reports.enqueue(reportsFor(sms));
      }
      if (!json) return reply(res, 200, out.list.map((m) => `OK:${m.id}:${m.points}`).join(';'));
      return reply(res, 200, {
        count: out.list.length,
        list: out.list.map((m) => ({
          id: m.id,
          points: m.points,
          number: m.to,
          date_sent: Math.floor(m.at / 1000),
          submitted_number: m.to,
          status: 'QUEUE',
          idx: m.idx,
          parts: m.parts,
          error: null,
        })),
        ...(out.details ? { message: out.message, length: out.length, parts: out.parts } : {}),
      });
    } catch (err) {
      if (!(err instanceof SmsapiRefusal)) throw err;
      rec.error = err.code;
      if (!json) return reply(res, 200, `ERROR:${err.code}`);
      return reply(res, 200, {
        error: err.code,
        message: err.message,
        ...(err.invalidNumbers ? { invalid_numbers: err.invalidNumbers } : {}),
      });
    }
  }
  if (method === 'GET' && (url.pathname === '/profile' || url.pathname === '/sms/sendernames')) {
    if (!acc) {
      // Sandbox choice (the REST endpoints' auth failure is not in the reference): HTTP 401 with
      // SMSAPI's legacy code in the body.
      rec.status = 401;
      rec.error = 101;
      return reply(res, 401, { error: 101, message: MESSAGES[101] });
    }
    if (url.pathname === '/profile') {
      return reply(res, 200, {
        name: 'Sandbox',
        email: 'sandbox@example.invalid',
        username: 'sandbox',
        phone_number: '48500100200',
        payment_type: acc.paymentType,
        user_type: 'native',
        points: acc.points,
      });
    }
    const collection = acc.senders.map((x) => ({
      sender: x.sender,
      status: x.status,
      is_default: x.isDefault,
      created_at: '2026-01-01T00:00:00+00:00',
    }));
    return reply(res, 200, { collection, size: collection.length });
  }
  rec.status = 404;
  return reply(res, 404, { error: 404, message: 'Not found' });
}

export async function listen(
  s: SmsapiState,
  host: string,
  port: number,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handle(s, req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, { error: 999, message: 'sandbox fault' });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}` };
}
