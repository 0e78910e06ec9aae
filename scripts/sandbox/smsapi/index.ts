/** The running sandbox SMSAPI as tests see it; what it answers is described in server.ts. */
import type { SandboxAccount, SandboxSender, SandboxSms } from './model.js';
import { ReportSender, reportsFor, type DlrRecord, type PendingReport } from './reports.js';
import { listen, type Fault, type RequestRecord, type SmsapiState } from './server.js';

export type { DlrRecord, Fault, RequestRecord, SandboxSender, SandboxSms };

export interface SandboxSmsapiOptions {
  /** The first account's token. */
  token?: string;
  /** Its balance in points. */
  points?: number;
  /** Points per part (sandbox choice: 0.16, a commonly quoted PL price). */
  pricePerPart?: number;
}

export interface SandboxSmsapi {
  url: string;
  /** The first account's token. */
  token: string;
  /** A further account (another portal's SMSAPI token). */
  addAccount(o: { token: string; points?: number; senders?: SandboxSender[] }): void;
  points(token?: string): number;
  setPoints(points: number, token?: string): void;
  setSenders(senders: SandboxSender[], token?: string): void;
  /** Messages accepted (not `test=1` ones). */
  sent(filter?: { to?: string; idx?: string }): SandboxSms[];
  requests(): RequestRecord[];
  /** Delivery-report callbacks made, each with its query and the receiver's answer. */
  reports(): DlrRecord[];
  /** While on, reports wait in a queue instead of going out. */
  holdReports(on: boolean): void;
  /** Sends the held reports: one callback each (reversed: out of order), or batched per URL. */
  releaseReports(o?: { batch?: boolean; reverse?: boolean }): Promise<void>;
  /** Sends one report for a sent message now (again, late, or any status). */
  deliverReport(msgId: string, status: number): Promise<void>;
  /** The next requests answer these faults (an HTTP status and/or a delay), in order. */
  failNext(...faults: Fault[]): void;
  /** Waits until every report started so far has been answered. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export const SANDBOX_SMSAPI_TOKEN = 'sandbox-smsapi-token-0123456789abcdef';

const DEFAULT_SENDERS: SandboxSender[] = [
  { sender: 'WAB24', status: 'ACTIVE', isDefault: true },
  { sender: 'Test', status: 'ACTIVE', isDefault: false },
  { sender: 'PROMO', status: 'INACTIVE', isDefault: false },
];

export async function startSandboxSmsapi(o: SandboxSmsapiOptions = {}): Promise<SandboxSmsapi> {
  const token = o.token ?? SANDBOX_SMSAPI_TOKEN;
  const s: SmsapiState = {
    accounts: new Map(),
    sent: [],
    requests: [],
    faults: [],
    reports: new ReportSender(),
    pricePerPart: o.pricePerPart ?? 0.16,
    timers: new Set(),
  };
  const add = (t: string, points: number, senders: SandboxSender[]): void => {
    const acc: SandboxAccount = { token: t, points, paymentType: 'prepaid', senders, idx: new Map() };
    s.accounts.set(t, acc);
  };
  add(
    token,
    o.points ?? 100,
    DEFAULT_SENDERS.map((x) => ({ ...x })),
  );
  const { server, url } = await listen(s, '127.0.0.1', 0);
  const acc = (t = token): SandboxAccount => {
    const a = s.accounts.get(t);
    if (!a) throw new Error(`sandbox smsapi: no account with that token`);
    return a;
  };
  return {
    url,
    token,
    addAccount: (a) => add(a.token, a.points ?? 100, a.senders ?? DEFAULT_SENDERS.map((x) => ({ ...x }))),
    points: (t) => acc(t).points,
    setPoints: (p, t) => void (acc(t).points = p),
    setSenders: (senders, t) => void (acc(t).senders = senders.map((x) => ({ ...x }))),
    sent: (f = {}) =>
      s.sent.filter((m) => (f.to === undefined || m.to === f.to) && (f.idx === undefined || m.idx === f.idx)),
    requests: () => s.requests.slice(),
    reports: () => s.reports.log.slice(),
    holdReports: (on) => void (s.reports.hold = on),
    releaseReports: (r) => s.reports.release(r),
    deliverReport: (msgId, status) => {
      const sms = s.sent.find((m) => m.id === msgId);
      if (!sms) throw new Error(`sandbox smsapi: no message ${msgId}`);
      const one: PendingReport = { sms, status };
      return s.reports.send([one]);
    },
    failNext: (...faults) => void s.faults.push(...faults),
    settle: () => s.reports.settle(),
    close: async () => {
      for (const t of s.timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await s.reports.settle();
    },
  };
}

/** The reports a message would get (for tests that check the flow). */
export { reportsFor };
