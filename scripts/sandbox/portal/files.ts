/**
 * Files both ways. The connector's files (§3.7): each `url` in `imconnector.send.messages` is
 * downloaded while the call runs and the outcome kept. The operators' files (§4.1): stored on the
 * portal's disk, served at their `link` (public unless made private) and `downloadLink` (needs
 * `auth=`).
 */
import type http from 'node:http';
import { sendJson } from './http.js';
import type { ChatFile, Params } from './model.js';
import type { PortalState } from './state.js';
import type { FileDownload, OperatorFile } from './types.js';
import { hex, isObj, listOf, lowerKeysDeep, obj, str, toInt, upperTop } from './util.js';

/** §3.7: Bitrix24 downloads each file `url` while the call runs; the outcome is kept per URL. */
export async function downloadFiles(s: PortalState, params: Params): Promise<void> {
  const urls: string[] = [];
  for (const item of listOf(upperTop(params)['MESSAGES']) ?? []) {
    const message = obj(obj(lowerKeysDeep(item))['message']);
    for (const f of listOf(message['files']) ?? []) {
      const url = str(obj(f)['url']);
      if (url) urls.push(url);
    }
  }
  for (const url of urls) {
    const rec: FileDownload = { url, status: null, bytes: 0, contentType: null, at: Date.now() };
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'follow' });
      rec.status = r.status;
      rec.contentType = r.headers.get('content-type');
      rec.bytes = (await r.arrayBuffer()).byteLength;
    } catch (e) {
      rec.error = e instanceof Error ? e.message : String(e);
    }
    s.downloadLog.push(rec);
    s.log(`download ${url} → ${rec.status ?? rec.error ?? '?'}`);
  }
}

function lastDownload(s: PortalState, url: string): FileDownload | undefined {
  for (let i = s.downloadLog.length - 1; i >= 0; i--) {
    if (s.downloadLog[i]?.url === url) return s.downloadLog[i];
  }
  return undefined;
}

/** The `files` of a connector's message (§3.7), each with what downloading its `url` gave. */
export function connectorFiles(s: PortalState, v: unknown): ChatFile[] {
  const list = listOf(v) ?? [];
  const out: ChatFile[] = [];
  for (const f of list) {
    if (!isObj(f)) continue;
    const file: ChatFile = { name: str(f['name']) };
    if (f['url'] !== undefined) file.url = str(f['url']);
    if (f['link'] !== undefined) file.link = str(f['link']);
    if (f['type'] !== undefined) file.type = str(f['type']);
    const size = toInt(f['size']);
    if (size !== null) file.size = size;
    if (!file.name && file.url) file.name = file.url.split('/').pop()?.split('?')[0] ?? 'file';
    out.push(file);
  }
  for (const f of out) {
    const d = f.url ? lastDownload(s, f.url) : undefined;
    if (d) f.download = { ...d };
  }
  return out;
}

/** An operator file at `link` (public unless made private) or `downloadLink` (always needs auth). */
export function serveFile(
  s: PortalState,
  res: http.ServerResponse,
  u: URL,
  token: string,
  viaDownloadLink: boolean,
): void {
  const file = s.disk.get(token);
  const auth = u.searchParams.get('auth') ?? '';
  const withAuth = auth !== '';
  const log = (status: number) => s.fileRequestLog.push({ path: u.pathname, status, withAuth });
  if (!file) {
    log(404);
    sendJson(res, 404, { error: 'NOT_FOUND', error_description: 'File not found' });
    return;
  }
  if (viaDownloadLink || file.linkRequiresAuth) {
    const info = withAuth ? s.accessTokens.get(auth) : undefined;
    if (!info || info.revoked) {
      log(401);
      sendJson(res, 401, { error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' });
      return;
    }
    if (info.forcedExpired || info.expiresAt <= Date.now()) {
      log(401);
      sendJson(res, 401, {
        error: 'expired_token',
        error_description: 'The access token provided has expired.',
      });
      return;
    }
  }
  log(200);
  res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.data.length) });
  res.end(file.data);
}

export function addFile(
  s: PortalState,
  o: { name: string; contentType: string; data: Buffer; linkRequiresAuth?: boolean },
): OperatorFile {
  const token = hex(16);
  s.disk.set(token, {
    name: o.name,
    contentType: o.contentType,
    data: o.data,
    linkRequiresAuth: o.linkRequiresAuth ?? false,
  });
  const family = o.contentType.split('/')[0] ?? '';
  return {
    name: o.name,
    type: ['image', 'video', 'audio'].includes(family) ? family : 'file',
    link: `${s.url}/disk/${token}/${encodeURIComponent(o.name)}`,
    size: o.data.length,
    downloadLink: `/rest/download.json?token=${token}`,
    mime: o.contentType,
  };
}

export function downloads(s: PortalState): FileDownload[] {
  return s.downloadLog.map((d) => ({ ...d }));
}

export function fileRequests(s: PortalState): Array<{ path: string; status: number; withAuth: boolean }> {
  return s.fileRequestLog.map((r) => ({ ...r }));
}
