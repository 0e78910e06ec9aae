import { B24Frame } from '@bitrix24/b24jssdk';
import type { FrameParams } from './types.js';

/**
 * The page's link to the Bitrix24 window around it, through the official SDK's B24Frame (reference
 * §1.4, §8): postMessage to the portal's origin, answered by the portal. Everything else on the pages
 * works without it: opened outside a portal frame, or when the portal does not answer, `connect`
 * gives null and the page simply does not talk to its parent.
 */

/** How long the portal gets to answer the first message (getInitData); the SDK itself waits forever. */
const INIT_TIMEOUT_MS = 10_000;

export class PortalFrame {
  private constructor(private readonly b24: B24Frame) {}

  /**
   * The SDK's `initializeB24Frame()` does the same from `window.name` ("DOMAIN|PROTOCOL|APP_SID", as
   * Bitrix24 names the frame); the page takes these from the query it was opened with (§1.2), which
   * the server checked, so the frame's name does not matter.
   */
  static async connect(params: FrameParams | null): Promise<PortalFrame | null> {
    if (!params || window.parent === window) return null;
    const b24 = new B24Frame({
      DOMAIN: params.domain,
      PROTOCOL: params.https,
      APP_SID: params.appSid,
      LANG: params.lang,
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('the portal did not answer getInitData')), INIT_TIMEOUT_MS);
    });
    try {
      await Promise.race([b24.init(), timeout]);
      return new PortalFrame(b24);
    } catch {
      b24.destroy();
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The portal still waits for installFinish (the install page, reference §1.4). */
  get installing(): boolean {
    return this.b24.isInstallMode;
  }

  /** Tells Bitrix24 the installation is done: from now on it delivers events (§1.4). */
  async installFinish(): Promise<void> {
    await this.b24.installFinish();
  }

  /** The portal's UI language (LANG of §1.2). */
  lang(): string {
    return this.b24.getLang();
  }

  /** Keeps the frame as tall as the page: once now and whenever the page's height changes. */
  fitHeight(): void {
    let queued = false;
    const fit = () => {
      queued = false;
      void this.b24.parent.fitWindow();
    };
    new ResizeObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(fit);
    }).observe(document.body);
  }

  /** Opens a portal page (a CRM card: `/crm/deal/details/7/`) in Bitrix24's slider. */
  async openPath(path: string): Promise<void> {
    await this.b24.slider.openPath(this.b24.slider.getUrl(path));
  }

  /** Opens a chat in Bitrix24's messenger: a user's id, `chat12`, or an open line session `imol|34`. */
  async openChat(dialogId: number | `chat${number}` | `imol|${number}`): Promise<void> {
    await this.b24.parent.imOpenMessenger(dialogId);
  }
}
