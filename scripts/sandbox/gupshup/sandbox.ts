/** The running sandbox as tests see it (SandboxGupshup): each method hands over to its area. */
import type { Server } from 'node:http';
import { addApp, setCallbackUrl } from './apps.js';
import { failNext, failNextDelivery } from './faults.js';
import { customerSends } from './inbound.js';
import { expireMedia } from './media.js';
import { listen } from './server.js';
import { SandboxState } from './state.js';
import {
  addConsoleTemplate,
  deleteConsoleTemplate,
  setTemplateStatus,
  templatesOf,
  toApiShape,
} from './templates.js';
import type { SandboxGupshup, SandboxGupshupOptions } from './types.js';
import { isObj } from './util.js';

class GupshupSandbox implements SandboxGupshup {
  readonly url: string;

  constructor(
    private readonly s: SandboxState,
    private readonly server: Server,
  ) {
    this.url = s.baseUrl;
  }

  async close(): Promise<void> {
    const s = this.s;
    if (s.closed) return;
    s.closed = true;
    for (const [t, resolve] of s.sleeps) {
      clearTimeout(t);
      resolve(false);
    }
    s.sleeps.clear();
    await s.agent.destroy().catch(() => {});
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    // let aborted tasks unwind so nothing runs after close()
    if (s.busy > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1_000);
        s.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    s.media.clear();
  }

  addApp(o: Parameters<SandboxGupshup['addApp']>[0]) {
    return addApp(this.s, o);
  }

  setCallbackUrl(appName: string, url: string): void {
    setCallbackUrl(this.s, appName, url);
  }

  sent(filter: { appName?: string; destination?: string } = {}) {
    return this.s.sentLog.filter(
      (m) =>
        (filter.appName === undefined || m.appName === filter.appName) &&
        (filter.destination === undefined || m.destination === filter.destination),
    );
  }

  requests() {
    return this.s.requestLog.slice();
  }

  callbacks(filter: { appName?: string; type?: string } = {}) {
    return this.s.callbackLog.filter((c) => {
      if (filter.appName !== undefined && c.appName !== filter.appName) return false;
      if (filter.type === undefined) return true;
      const inner = isObj(c.body.payload) ? c.body.payload.type : undefined;
      return c.body.type === filter.type || inner === filter.type;
    });
  }

  customerSends(o: Parameters<SandboxGupshup['customerSends']>[0]) {
    return customerSends(this.s, o);
  }

  failNextDelivery(o: Parameters<SandboxGupshup['failNextDelivery']>[0]): void {
    failNextDelivery(this.s, o);
  }

  setStatusFlow(flow: Parameters<SandboxGupshup['setStatusFlow']>[0]): void {
    this.s.statusFlow = flow.slice();
  }

  setBillingEvents(on: boolean): void {
    this.s.billingEvents = on;
  }

  failNext(o: Parameters<SandboxGupshup['failNext']>[0]): void {
    failNext(this.s, o);
  }

  setWalletEmpty(appName: string, empty: boolean): void {
    this.s.requireApp(appName).walletEmpty = empty;
  }

  expireMedia(url: string): void {
    expireMedia(this.s, url);
  }

  mediaRequests() {
    return this.s.mediaLog.slice();
  }

  templates(appId?: string) {
    return templatesOf(this.s, appId).map(toApiShape);
  }

  setTemplateReview(opts: Parameters<SandboxGupshup['setTemplateReview']>[0]): void {
    this.s.templateReview = { ...opts };
  }

  setTemplateStatus(...a: Parameters<SandboxGupshup['setTemplateStatus']>): void {
    setTemplateStatus(this.s, ...a);
  }

  addConsoleTemplate(...a: Parameters<SandboxGupshup['addConsoleTemplate']>) {
    return addConsoleTemplate(this.s, ...a);
  }

  deleteConsoleTemplate(appId: string, elementName: string): void {
    deleteConsoleTemplate(this.s, appId, elementName);
  }

  settle(timeoutMs = 30_000): Promise<void> {
    const s = this.s;
    if (s.busy === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        s.idleWaiters = s.idleWaiters.filter((w) => w !== waiter);
        reject(new Error(`sandbox gupshup: ${s.busy} callback task(s) still pending after ${timeoutMs} ms`));
      }, timeoutMs);
      s.idleWaiters.push(waiter);
    });
  }
}

export async function startSandboxGupshup(opts: SandboxGupshupOptions = {}): Promise<SandboxGupshup> {
  const s = new SandboxState(opts);
  const server = await listen(s, opts.host ?? '127.0.0.1', opts.port ?? 0);
  return new GupshupSandbox(s, server);
}
