/**
 * The browsable portal page (§1.2): a page that looks like a portal and frames the app the way
 * Bitrix24 does, and the stand-in for Bitrix24's server that the page reports installFinish to
 * (§1.4; the page's script is in frame.ts).
 */
import { frameHostScript, type FrameInit } from './frame.js';
import { iframeFields, iframeQuery } from './install.js';
import type { Params, PortalUser } from './model.js';
import { placementTarget, type PlacementTarget } from './placements.js';
import type { PortalState } from './state.js';
import { defaultAdmin } from './users.js';
import { str, toInt } from './util.js';

/**
 * The page's own path: always HTML, whatever the client asks for, so the URL the demo prints opens
 * the page in a browser and shows it to curl. `/` still answers JSON status (and the page to a
 * browser that asks for HTML).
 */
export const PORTAL_PAGE_PATH = '/page';

const esc = (v: unknown) => str(v).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const STYLE = `<style>
body{margin:0;font:14px/1.4 "Open Sans","Helvetica Neue",Helvetica,Arial,sans-serif;background:#1f8fc0;color:#333;display:flex;min-height:100vh}
nav{width:220px;padding:18px 10px;color:#fff}nav b{display:block;font-size:20px;margin:0 10px 18px}nav a{display:block;color:#fff;text-decoration:none;padding:7px 10px;border-radius:16px;opacity:.85}
nav a.on,nav a:hover{background:rgba(255,255,255,.2);opacity:1}nav h4{margin:16px 10px 6px;font-size:11px;text-transform:uppercase;opacity:.7}
main{flex:1;padding:14px 16px 16px 0;display:flex;flex-direction:column}header{color:#fff;display:flex;gap:18px;align-items:center;margin-bottom:10px;font-size:13px}
header a{color:#fff;opacity:.8}header a.on{opacity:1;font-weight:700;text-decoration:none}iframe{flex:1;width:100%;min-height:640px;border:0;border-radius:12px;background:#eef2f4}
.note{background:#fff;border-radius:12px;padding:20px}
</style>`;

/**
 * What the page shows: in which language, to whom, which view (`app`, `connector`, `install`, or a
 * placement the app bound: `IM_TEXTAREA`, `CRM_DEAL_DETAIL_TAB`…), which line, and the placement's
 * options (`dialog` for a chat placement, `id` for a CRM card tab).
 */
interface View {
  lang: string;
  user: PortalUser;
  name: string;
  line: number;
  dialog: string;
  id: number;
  link: (o: Record<string, string | number>) => string;
}

const FIXED_VIEWS = new Set(['connector', 'install']);

function viewOf(s: PortalState, q: URLSearchParams): View {
  const lang = /^[a-z]{2}$/.test(q.get('lang') ?? '') ? (q.get('lang') as string) : s.lang;
  const userId = toInt(q.get('user')) ?? defaultAdmin(s).ID;
  const user = s.users.find((u) => u.ID === userId) ?? defaultAdmin(s);
  const asked = q.get('view') ?? '';
  const placement = /^(IM|CRM)_[A-Z_]+$/.test(asked) ? asked : '';
  const name = FIXED_VIEWS.has(asked) ? asked : placement || 'app';
  const line = toInt(q.get('line')) ?? s.lines[0]?.ID ?? 1;
  const dialog = /^[a-z0-9]{1,40}$/i.test(q.get('dialog') ?? '') ? (q.get('dialog') as string) : 'chat1';
  const id = toInt(q.get('id')) ?? 1;
  const link = (o: Record<string, string | number>) => {
    const p = new URLSearchParams({ lang, user: String(user.ID), view: name, line: String(line) });
    if (placement.startsWith('IM_')) p.set('dialog', dialog);
    if (placement.startsWith('CRM_')) p.set('id', String(id));
    for (const [k, v] of Object.entries(o)) p.set(k, String(v));
    return `${PORTAL_PAGE_PATH}?${p.toString()}`;
  };
  return { lang, user, name, line, dialog, id, link };
}

/**
 * A placement the app bound with placement.bind, opened as Bitrix24 opens it: a chat placement with
 * `{"dialogId": …}`, a CRM detail tab with `{"ID": …}` (b24restdocs widgets/im, widgets/crm).
 */
function boundPlacement(s: PortalState, v: View): PlacementTarget {
  const bound = s.placements.find((x) => x.placement === v.name);
  if (!bound) throw new Error(`The app has not bound the placement ${v.name}.`);
  const options = v.name.startsWith('IM_') ? { dialogId: v.dialog } : { ID: String(v.id) };
  return { url: bound.handler, placement: v.name, options };
}

/** The framed app of the view, or a note saying why there is none. */
function frameOf(s: PortalState, v: View): string {
  if (!s.installed) return '<p class="note">La aplicación no está instalada en este portal.</p>';
  let target: PlacementTarget;
  try {
    if (v.name === 'connector') target = placementTarget(s, { placement: 'SETTING_CONNECTOR', line: v.line });
    else if (v.name === 'install') target = { url: s.installUrl, placement: 'DEFAULT', options: {} };
    else if (v.name !== 'app') target = boundPlacement(s, v);
    else target = placementTarget(s, { placement: 'DEFAULT' });
  } catch (e) {
    return `<p class="note">${esc(e instanceof Error ? e.message : e)}</p>`;
  }
  return framedApp(s, target, v.user, v.lang, v.name === 'install');
}

/**
 * A page that looks like a portal and frames the app the way Bitrix24 does (§1.2): an auto-submitted
 * POST form into an <iframe>, with a fresh AUTH_ID of the chosen user, DOMAIN/PROTOCOL/LANG/APP_SID
 * in the query and PLACEMENT/PLACEMENT_OPTIONS in the body. `?view=connector&line=N` opens the
 * SETTING_CONNECTOR placement (§4.7), `?view=install` the install page again (§1.4),
 * `?view=IM_TEXTAREA&dialog=chat12` or `?view=CRM_DEAL_DETAIL_TAB&id=7` a placement the app bound; `?lang=` and
 * `?user=` switch the viewer. The page answers the frame's messages as Bitrix24's does
 * (frame.ts). Unlike Bitrix24, which names the frame "DOMAIN|PROTOCOL|APP_SID", it names it
 * `app`: the same values are in the query of the frame's URL.
 */
export function portalPage(s: PortalState, q: URLSearchParams): { status: number; body: string } {
  const v = viewOf(s, q);
  const frame = frameOf(s, v);
  const on = (yes: boolean) => (yes ? 'on' : '');
  const langs = ['es', 'en', 'pt']
    .map((l) => `<a class="${on(l === v.lang)}" href="${esc(v.link({ lang: l }))}">${l.toUpperCase()}</a>`)
    .join(' ');
  const users = s.users
    .map(
      (u) =>
        `<a class="${on(u.ID === v.user.ID)}" href="${esc(v.link({ user: u.ID }))}">${esc(u.NAME)} ${esc(u.LAST_NAME)}${u.ADMIN ? ' (admin)' : ''}</a>`,
    )
    .join(' · ');
  const lineLinks = s.lines
    .map(
      (l) =>
        `<a class="${on(v.name === 'connector' && l.ID === v.line)}" href="${esc(v.link({ view: 'connector', line: l.ID }))}">WhatsApp · ${esc(l.LINE_NAME)}</a>`,
    )
    .join('');
  const body = `<!doctype html><html lang="${esc(v.lang)}"><head><meta charset="utf-8"><title>Bitrix24 (sandbox)</title>
${STYLE}</head><body>
<nav><b>Bitrix24</b><a class="${on(v.name === 'app')}" href="${esc(v.link({ view: 'app' }))}">WhatsApp B24</a><h4>Contact Center</h4>${lineLinks}</nav>
<main><header><span>${esc(s.domain)}</span><span>LANG: ${langs}</span><span>${users}</span></header>${frame}</main>
</body></html>`;
  return { status: 200, body };
}

/** The auto-submitted iframe POST of §1.2, and the answers to the frame's messages. */
function framedApp(
  s: PortalState,
  target: PlacementTarget,
  user: PortalUser,
  lang: string,
  install: boolean,
): string {
  const fields = iframeFields(s, user.ID, target.placement, target.options);
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  const action = iframeQuery(s, target.url, lang);
  const appSid = new URL(action).searchParams.get('APP_SID') ?? '';
  if (install) s.installFrames.add(appSid);
  const init: FrameInit = {
    DOMAIN: s.domain,
    PROTOCOL: '0',
    LANG: lang,
    PATH: `/marketplace/app/${s.appId}/`,
    MEMBER_ID: s.memberId,
    IS_ADMIN: user.ADMIN,
    AUTH_ID: fields.AUTH_ID,
    REFRESH_ID: fields.REFRESH_ID,
    AUTH_EXPIRES: fields.AUTH_EXPIRES,
    APP_OPTIONS: {},
    USER_OPTIONS: {},
    PLACEMENT: target.placement,
    PLACEMENT_OPTIONS: target.options,
    INSTALL: !s.finished,
    FIRST_RUN: false,
  };
  return (
    `<form id="open" method="post" target="app" action="${esc(action)}">${inputs}</form>` +
    `<iframe name="app" id="app-frame" title="app"></iframe>` +
    frameHostScript({ frameId: 'app-frame', appOrigin: new URL(action).origin, appSid, init }) +
    `<script>document.getElementById('open').submit();</script>`
  );
}

/** §1.4: the portal page relays the install page's installFinish; only a framed install page may. */
export function installFinishFromFrame(s: PortalState, params: Params): { status: number; body: unknown } {
  const appSid = str(params['APP_SID']);
  if (!s.installed || !s.installFrames.has(appSid)) {
    return {
      status: 400,
      body: { error: 'INVALID_REQUEST', error_description: 'No install page with this APP_SID' },
    };
  }
  s.finished = true;
  s.log('installFinish (from the install page)');
  return { status: 200, body: { result: true } };
}
