/**
 * The portal's one `node:http` server (portal and OAuth server on the same host), routing by path:
 *   POST|GET /rest/{method}[.json]   REST (§1.5): params from JSON body, form body (bracket keys) or query
 *   POST|GET /oauth/token/           OAuth refresh grant (§1.6)
 *   GET /disk/{token}/{name}         an operator's file at its `link` (§4.1; public unless made private)
 *   GET /rest/download.json?token=   the same file at its `downloadLink` (§4.1 3p), needs `auth=`
 *   POST INSTALL_FINISH_PATH         the portal page relays the install page's installFinish (§1.4)
 *   GET PORTAL_PAGE_PATH (/page)     a small portal page that frames the app as Bitrix24 does (§1.2)
 *   GET /                            JSON status (debugging); a browser (Accept: text/html) gets the
 *                                    portal page
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bindings } from './events.js';
import { downloadFiles, serveFile } from './files.js';
import { INSTALL_FINISH_PATH } from './frame.js';
import { parseParams, readBody, sendJson } from './http.js';
import type { Params } from './model.js';
import { oauthToken } from './oauth.js';
import { installFinishFromFrame, PORTAL_PAGE_PATH, portalPage } from './page.js';
import { rest } from './rest.js';
import type { PortalState } from './state.js';
import { methodName } from './util.js';

async function handle(s: PortalState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  res.setHeader('access-control-allow-origin', '*');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'content-type',
    });
    res.end();
    return;
  }
  const u = new URL(req.url ?? '/', 'http://sandbox.invalid');
  let body = '';
  try {
    body = await readBody(req, 64 * 1024 * 1024);
  } catch {
    sendJson(res, 413, { error: 'INVALID_REQUEST', error_description: 'Request body too large' });
    return;
  }
  const params = parseParams(
    u.search.slice(1),
    body,
    String(req.headers['content-type'] ?? '').toLowerCase(),
  );
  await route(s, req, res, u, params);
}

async function route(
  s: PortalState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  u: URL,
  params: Params,
): Promise<void> {
  const disk = /^\/disk\/([0-9a-f]+)(?:\/.*)?$/.exec(u.pathname);
  if (disk || /^\/rest\/download\.json$/.test(u.pathname)) {
    serveFile(s, res, u, disk ? (disk[1] ?? '') : (u.searchParams.get('token') ?? ''), !disk);
    return;
  }
  if (/^\/oauth\/token\/?$/.test(u.pathname)) {
    const r = oauthToken(s, params);
    sendJson(res, r.status, r.body);
    return;
  }
  const m = /^\/rest\/(.*)$/.exec(u.pathname);
  if (m) {
    const method = methodName(decodeURIComponent(m[1] ?? ''));
    if (method === 'imconnector.send.messages' || method === 'imconnector.update.messages') {
      await downloadFiles(s, params);
    }
    const r = rest(s, decodeURIComponent(m[1] ?? ''), params);
    sendJson(res, r.status, r.body);
    return;
  }
  if (u.pathname === INSTALL_FINISH_PATH && req.method === 'POST') {
    const r = installFinishFromFrame(s, params);
    sendJson(res, r.status, r.body);
    return;
  }
  if (u.pathname === PORTAL_PAGE_PATH || u.pathname === `${PORTAL_PAGE_PATH}/`) {
    sendPage(s, res, u);
    return;
  }
  if (u.pathname === '/' || u.pathname === '') {
    root(s, req, res, u);
    return;
  }
  sendJson(res, 404, { error: 'NOT_FOUND', error_description: 'Not found' });
}

function sendPage(s: PortalState, res: http.ServerResponse, u: URL): void {
  const html = portalPage(s, u.searchParams);
  res.writeHead(html.status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(html.body);
}

/** `/`: the portal page for a browser, else the sandbox's status as JSON. */
function root(s: PortalState, req: http.IncomingMessage, res: http.ServerResponse, u: URL): void {
  if (String(req.headers.accept ?? '').includes('text/html')) {
    sendPage(s, res, u);
    return;
  }
  sendJson(res, 200, {
    sandbox: 'bitrix24-portal',
    domain: s.domain,
    member_id: s.memberId,
    installed: s.installed,
    install_finished: s.finished,
    connectors: [...s.connectorsById.keys()],
    bindings: bindings(s),
    messages: s.store.filter((x) => !x.deleted).length,
  });
}

export function createPortalServer(s: PortalState): http.Server {
  return http.createServer((req, res) => {
    handle(s, req, res).catch((e: unknown) => {
      s.log(`sandbox portal: internal error ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) {
        sendJson(res, 500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
      } else res.end();
    });
  });
}

/** Listens on `host:port` (0: any free port) and sets the portal's domain and URLs. */
export function listen(s: PortalState, server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      const h = host.includes(':') ? `[${host}]` : host;
      s.domain = `${h}:${a.port}`;
      s.url = `http://${s.domain}`;
      s.oauthUrl = s.url;
      s.log(`sandbox portal listening on ${s.url} (member_id ${s.memberId})`);
      resolve();
    });
  });
}
