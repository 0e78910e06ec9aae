import { pagesScript } from './script.js';
import type { Boot, FrameParams } from './ui/types.js';

/**
 * What a page hands its script: the boot data as JSON in the page (ui/types.ts), and the frame it was
 * opened in, from the iframe query Bitrix24 sends (reference §1.2).
 */

interface IframeQuery {
  DOMAIN: string;
  PROTOCOL?: '0' | '1' | undefined;
  LANG?: string | undefined;
  APP_SID?: string | undefined;
}

/** The frame for the SDK's B24Frame (https unless PROTOCOL=0, as pageCsp); null without an APP_SID. */
export function frameParams(q: IframeQuery): FrameParams | null {
  if (!q.APP_SID) return null;
  return { domain: q.DOMAIN, https: q.PROTOCOL !== '0', appSid: q.APP_SID, lang: q.LANG ?? '' };
}

/** Boot data as JSON safe inside a <script> element. */
export function bootJson(data: Boot): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The install page's view data: the script (which calls installFinish) and its boot data. */
export async function installPageView(q: IframeQuery): Promise<{ script: string; boot: string }> {
  const script = await pagesScript();
  return { script: script.url, boot: bootJson({ page: 'install', frame: frameParams(q) }) };
}
