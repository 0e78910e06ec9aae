/**
 * What one running sandbox holds: its apps, the logs tests read, injected faults, and the callback
 * work still pending (tracked so that `settle()` and `close()` know when nothing runs any more).
 */
import { Agent } from 'undici';
import { DEFAULT_REVIEW, type StoredTemplate } from './templates.js';
import type {
  CallbackRecord,
  SandboxApp,
  SandboxGupshupOptions,
  SentMessage,
  StatusType,
  TemplateReview,
} from './types.js';
import { prng, type Json } from './util.js';

export interface DeliveryFailure {
  destination?: string;
  code: number;
  reason: string;
  stage: 'sync' | 'async';
}

export interface MediaEntry {
  contentType: string;
  data: Buffer;
  expiresAt: number;
}

export interface RequestRecord {
  path: string;
  status: number;
  at: number;
}

export class SandboxState {
  readonly apps = new Map<string, SandboxApp>();
  readonly sentLog: SentMessage[] = [];
  readonly requestLog: RequestRecord[] = [];
  readonly callbackLog: CallbackRecord[] = [];
  readonly media = new Map<string, MediaEntry>();
  readonly mediaLog: RequestRecord[] = [];
  readonly deliveryFailures: DeliveryFailure[] = [];
  readonly httpFaults: Array<{ status: number; body?: Json }> = [];
  statusFlow: StatusType[] = ['enqueued', 'sent', 'delivered', 'read'];
  /** Whether the subscription carries billing-events (§3.9 mode `BILLING`). */
  billingEvents = true;
  /** Templates by Gupshup template id (§4). */
  readonly templates = new Map<string, StoredTemplate>();
  templateReview: TemplateReview;
  /** The sandbox's own base URL, known once it listens (inbound media links point at it). */
  baseUrl = '';

  closed = false;
  busy = 0; // scheduled or in-flight callback work
  idleWaiters: Array<() => void> = [];
  readonly sleeps = new Map<NodeJS.Timeout, (ok: boolean) => void>();
  readonly agent = new Agent({ connections: 256, keepAliveTimeout: 4_000 });

  readonly duplicateP: number;
  readonly reorder: boolean;
  readonly retry: { attempts: number; delayMs: number };
  readonly log: (line: string) => void;
  readonly rand: () => number;
  readonly #delayMin: number;
  readonly #delayMax: number;

  constructor(opts: SandboxGupshupOptions) {
    const [delayMin, delayMax] = opts.eventDelayMs ?? [20, 80];
    this.#delayMin = Math.min(delayMin, delayMax);
    this.#delayMax = Math.max(delayMin, delayMax);
    this.duplicateP = opts.duplicateEvents ?? 0;
    this.reorder = opts.reorderEvents ?? false;
    this.retry = opts.callbackRetry ?? { attempts: 3, delayMs: 200 };
    this.log = opts.log ?? (() => {});
    this.templateReview = { ...DEFAULT_REVIEW, ...opts.templateReview };
    this.rand = prng(opts.seed ?? 1);
  }

  randInt(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  eventDelay(): number {
    return this.randInt(this.#delayMin, this.#delayMax);
  }

  /** Resolves true after `ms`, or false at once when the sandbox is (or gets) closed. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.sleeps.delete(t);
        resolve(!this.closed);
      }, ms);
      this.sleeps.set(t, resolve);
    });
  }

  /** Runs callback work, counted as pending until it ends; its errors are logged, never thrown. */
  track(work: () => Promise<void>): Promise<void> {
    this.busy++;
    return work()
      .catch((err: unknown) => this.log(`[gupshup] callback task error: ${String(err)}`))
      .finally(() => {
        this.busy--;
        if (this.busy === 0) {
          const w = this.idleWaiters;
          this.idleWaiters = [];
          for (const f of w) f();
        }
      });
  }

  requireApp(appName: string): SandboxApp {
    const app = this.apps.get(appName);
    if (!app) throw new Error(`sandbox gupshup: unknown app ${appName}`);
    return app;
  }

  appById(appId: string): SandboxApp | undefined {
    return [...this.apps.values()].find((a) => a.appId === appId);
  }

  appByKey(key: string | undefined): SandboxApp | undefined {
    return key ? [...this.apps.values()].find((a) => a.apiKey === key) : undefined;
  }
}
