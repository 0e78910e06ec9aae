/**
 * Self-serve template management with `apikey` (§4.1): list (with `?templateStatus=`), get one,
 * create (form-urlencoded, §4.3) and delete by element name.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  apiKeyOf,
  decodeSegment,
  headerValue,
  readBody,
  respond,
  TEMPLATE_LIST,
  TEMPLATE_ONE,
} from './http.js';
import type { SandboxState } from './state.js';
import { checkTemplateFields } from './template-rules.js';
import { deleteByName, scheduleReview, storeTemplate, templatesOf, toApiShape } from './templates.js';
import type { SandboxApp } from './types.js';
import { errorBody } from './util.js';

/** §4.1 delete errors (documented wording); reused for an unknown template id on get (sandbox choice). */
const NO_TEMPLATE = 'Template Does not exists.';

/** The app the path names, once the key is checked; otherwise the answer has been sent. */
function authorize(
  s: SandboxState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  rawAppId: string | undefined,
): SandboxApp | null {
  const appId = decodeSegment(rawAppId);
  const owner = appId === null ? undefined : s.appById(appId);
  // §4.1 documented "Invalid App ID" (400); a key of another app is a 401 (sandbox choice).
  if (!owner) {
    respond(s, res, path, 400, errorBody('Invalid App ID'));
    return null;
  }
  if (s.appByKey(apiKeyOf(req)) !== owner) {
    respond(s, res, path, 401, errorBody('Authentication Failed'));
    return null;
  }
  return owner;
}

function list(s: SandboxState, res: ServerResponse, path: string, app: SandboxApp, url: string): void {
  const wanted = new URL(url, 'http://sandbox').searchParams.get('templateStatus');
  const templates = templatesOf(s, app.appId)
    .filter((t) => !wanted || t.status === wanted.toUpperCase())
    .map(toApiShape);
  respond(s, res, path, 200, { status: 'success', templates });
}

async function create(
  s: SandboxState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  app: SandboxApp,
  raw: Buffer,
): Promise<void> {
  const ctype = headerValue(req, 'content-type') ?? '';
  const form = ctype.toLowerCase().includes('application/x-www-form-urlencoded')
    ? new URLSearchParams(raw.toString('utf8'))
    : new URLSearchParams();
  const checked = checkTemplateFields((name) => form.get(name) ?? undefined);
  if (!checked.ok) return respond(s, res, path, 400, errorBody(checked.error));
  const stored = storeTemplate(s, app, checked.value, 'PENDING');
  if (!stored.ok) return respond(s, res, path, 400, errorBody(stored.error));
  respond(s, res, path, 200, { status: 'success', template: toApiShape(stored.template) });
  s.log(
    `[gupshup] template ${stored.template.elementName}/${stored.template.languageCode} created (PENDING)`,
  );
  scheduleReview(s, stored.template);
}

/** Routes `/wa/app/{appId}/template[/{x}]` by method. */
export async function handleTemplateApi(
  s: SandboxState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const raw = req.method === 'POST' ? await readBody(req) : (req.resume(), Buffer.alloc(0));
  if (raw === null) return respond(s, res, path, 413, errorBody('Request Entity Too Large'));
  const one = TEMPLATE_ONE.exec(path);
  const m = one ?? TEMPLATE_LIST.exec(path);
  const method = req.method ?? 'GET';
  const allowed = one ? ['GET', 'DELETE'] : ['GET', 'POST'];
  if (!allowed.includes(method)) return respond(s, res, path, 405, errorBody('Method Not Allowed'));
  const app = authorize(s, req, res, path, m?.[1]);
  if (!app) return;
  if (!one) {
    return method === 'GET' ? list(s, res, path, app, req.url ?? path) : create(s, req, res, path, app, raw);
  }
  const key = decodeSegment(one[2]) ?? '';
  if (method === 'DELETE') {
    if (deleteByName(s, app.appId, key) === 0) return respond(s, res, path, 400, errorBody(NO_TEMPLATE));
    return respond(s, res, path, 200, { status: 'success' });
  }
  const t = s.templates.get(key);
  if (!t || t.appId !== app.appId) return respond(s, res, path, 400, errorBody(NO_TEMPLATE));
  return respond(s, res, path, 200, { status: 'success', template: toApiShape(t) });
}
