import type { UiTextKey } from '../texts.js';
import type { AdminBoot, Boot, Me, OperatorBoot } from './types.js';

/**
 * The admin page this script runs in: its boot data (set once by main.ts), its texts and the element
 * the tabs draw into.
 */

export function readBoot(): Boot {
  return JSON.parse(document.getElementById('boot')?.textContent ?? 'null') as Boot;
}

export let boot: AdminBoot;
export let view: HTMLElement;
/** What the viewer's chat roles allow (GET /me); null when that could not be read. */
export let can: Me['can'] | null = null;

export function startPage(b: AdminBoot): void {
  boot = b;
  const el = document.getElementById('view');
  if (!el) throw new Error('the page has no #view');
  view = el;
}

/** The operator page: no portal, no frame, no auth to send; only its language and texts. */
export function startOperatorPage(b: OperatorBoot): void {
  startPage({
    ...b,
    page: 'app',
    auth: '',
    admin: false,
    userId: null,
    userName: '',
    connector: null,
    defaults: { companyName: '', contactName: '' },
    frame: null,
  });
}

export function setCan(c: Me['can'] | null): void {
  can = c;
}

export function T(key: UiTextKey): string {
  return boot.texts[key];
}

export function fmtDate(iso: string | null | undefined, withTime?: boolean): string {
  if (!iso) return T('common.none');
  const o: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric' };
  if (withTime) {
    o.hour = '2-digit';
    o.minute = '2-digit';
    o.second = '2-digit';
  }
  return new Date(iso).toLocaleString(boot.lang, o);
}
