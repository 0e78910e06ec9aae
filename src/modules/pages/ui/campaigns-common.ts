import type { CAMPAIGN_TEXTS } from '../campaigns-texts.js';
import type { UiTextKey } from '../texts.js';
import { api } from './api.js';
import { fill } from './billing-format.js';
import type { CampaignStatus } from './campaigns-api.js';
import { h } from './dom.js';
import { T } from './page.js';

/** What the Campaigns tab's parts share: their texts, the status badge, the progress bar. */

export type CmpKey = keyof typeof CAMPAIGN_TEXTS;

export function C(key: CmpKey, vars?: Record<string, string | number>): string {
  const text = T(('cmp.' + key) as UiTextKey);
  return vars ? fill(text, vars) : text;
}

/** A text of the tab whose key is built from a server code (`st.running`, `rc.duplicate`…), or null. */
export function codeText(
  prefix: 'st' | 'rc' | 'why' | 'src',
  code: string | null | undefined,
): string | null {
  if (!code) return null;
  const text = T(`cmp.${prefix}.${code}` as UiTextKey) as string | undefined;
  return text ?? null;
}

const BADGE: Record<CampaignStatus, string> = {
  draft: 'draft',
  scheduled: 'pending',
  running: 'active',
  paused: 'paused',
  finished: 'delivered',
  cancelled: 'deleted',
};

export function statusBadge(status: CampaignStatus): HTMLSpanElement {
  return h('span', {
    class: 'badge ' + BADGE[status],
    'data-status': status,
    text: codeText('st', status) ?? status,
  });
}

/** A progress bar with its words: done of total (percent). */
export function progressBar(done: number, total: number, id?: string): HTMLSpanElement {
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
  return h(
    'span',
    { class: 'cmp-progress', ...(id ? { id } : {}) },
    h('progress', {
      max: Math.max(total, 1),
      value: Math.min(done, Math.max(total, 1)),
      'aria-label': C('progress'),
    }),
    ' ',
    h('span', { class: 'muted', text: C('progressOf', { done, total, pct }) }),
  );
}

/** Rows the sender is done with: sent (or further) and failed. */
export function doneOf(c: {
  counts: { sent: number; failed: number; cancelled: number; queued: number };
}): number {
  return c.counts.sent + c.counts.failed;
}

/** Downloads one of the campaign's CSV files (fetched with the page's auth, saved under its name). */
export async function downloadCsv(path: string): Promise<void> {
  const f = await api.csv(path, { from: '', to: '' });
  const url = URL.createObjectURL(f.blob);
  const a = h('a', { href: url, download: f.name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
