/** The sandbox's HTTP server: routing by path to the send API, the app APIs and FileManager links. */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleWallet } from './apps.js';
import {
  MEDIA_PREFIX,
  MSG_PATH,
  respond,
  TEMPLATE_LIST,
  TEMPLATE_ONE,
  TEMPLATE_PATH,
  WALLET_PATH,
} from './http.js';
import { handleMedia } from './media.js';
import { handleSend } from './send.js';
import type { SandboxState } from './state.js';
import { handleTemplateApi } from './template-api.js';
import { errorBody } from './util.js';

async function handle(s: SandboxState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method === 'GET' && path === WALLET_PATH) {
    req.resume();
    return handleWallet(s, req, res, path);
  }
  if (TEMPLATE_LIST.test(path) || TEMPLATE_ONE.test(path)) return handleTemplateApi(s, req, res, path);
  if (path.startsWith(MEDIA_PREFIX) && (req.method === 'GET' || req.method === 'HEAD')) {
    req.resume();
    return handleMedia(s, req, res, path);
  }
  if (path === MSG_PATH || path === TEMPLATE_PATH) {
    if (req.method !== 'POST') {
      req.resume();
      return respond(s, res, path, 405, errorBody('Method Not Allowed'));
    }
    return handleSend(s, req, res, path);
  }
  req.resume();
  return respond(s, res, path, 404, errorBody('Not Found'));
}

/** Listens on `host:port` (0: any free port) and sets `s.baseUrl`. */
export async function listen(s: SandboxState, host: string, port: number): Promise<Server> {
  const server: Server = createServer((req, res) => {
    handle(s, req, res).catch((err: unknown) => {
      s.log(`[gupshup] handler error: ${String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody('Internal Server Error')));
    });
  });
  server.keepAliveTimeout = 60_000; // avoid idle-socket races with the app's keep-alive pool
  server.headersTimeout = 61_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  s.baseUrl = `http://${urlHost}:${bound}`;
  return server;
}
