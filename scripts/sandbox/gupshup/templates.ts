/**
 * The apps' WhatsApp templates (§4): stored as created, shown in the list-API shape (§4.2), reviewed
 * after a delay, and every status change told to the app as a `template-event` status-update (§3.7).
 */
import { createHash, randomUUID } from 'node:crypto';
import { deliver } from './callbacks.js';
import type { SandboxState } from './state.js';
import { checkTemplateFields, variablesOf, type TemplateSpec } from './template-rules.js';
import type {
  ConsoleTemplateFields,
  SandboxApp,
  SandboxTemplate,
  TemplateReview,
  TemplateStatus,
} from './types.js';
import type { Json } from './util.js';

export interface StoredTemplate extends TemplateSpec {
  id: string;
  appId: string;
  appName: string;
  externalId: string;
  status: TemplateStatus;
  reason?: string;
  createdOn: number;
  modifiedOn: number;
}

export const DEFAULT_REVIEW: TemplateReview = { mode: 'approve', delayMs: 300 };
/** §4.4: 250 names per WABA (sandbox: per app). */
const MAX_NAMES = 250;
/** §3.7 sample reason; sandbox default for rejections without one. */
const DEFAULT_REJECT_REASON = 'INVALID_FORMAT';
const PAUSED_DESCRIPTION = 'Your template has been paused for 3 hours due to low quality rating.';

const BUTTON_CODES: Record<string, string> = {
  QUICK_REPLY: 'QR',
  URL: 'URL',
  PHONE_NUMBER: 'PN',
  COPY_CODE: 'COPY_CODE',
  OTP: 'OTP',
  CATALOG: 'CATALOG',
  MPM: 'MPM',
  FLOW: 'FLOW',
};

/** Sandbox choice: a WABA id and namespace that stay the same for an app id. */
function wabaOf(appId: string): { wabaId: string; namespace: string } {
  const h = createHash('sha256').update(appId).digest('hex');
  const wabaId = BigInt(`0x${h.slice(0, 15)}`)
    .toString()
    .padStart(15, '1')
    .slice(0, 15);
  const ns = `${h.slice(16, 24)}_${h.slice(24, 28)}_${h.slice(28, 32)}_${h.slice(32, 36)}_${h.slice(36, 48)}`;
  return { wabaId, namespace: ns };
}

/** §4.2 `data`: header, body and footer on their lines, then ` | [button]` per button (as in Gupshup's samples). */
function dataOf(t: StoredTemplate): string {
  const text = [t.header, t.content, t.footer].filter((x) => x !== undefined).join('\n');
  return text + t.buttons.map((b) => ` | [${String(b.text ?? b.type)}]`).join('');
}

function containerMetaOf(t: StoredTemplate): Json {
  const c: Json = { appId: t.appId, data: t.content };
  if (t.buttons.length > 0) c.buttons = t.buttons;
  if (t.header !== undefined) c.header = t.header;
  if (t.footer !== undefined) c.footer = t.footer;
  c.sampleText = t.example ?? t.content;
  if (t.header !== undefined) c.sampleHeader = t.exampleHeader ?? t.header;
  if (t.mediaUrl !== undefined) c.mediaUrl = t.mediaUrl;
  c.enableSample = t.enableSample;
  c.editTemplate = false;
  c.allowTemplateCategoryChange = t.allowTemplateCategoryChange;
  c.addSecurityRecommendation = t.addSecurityRecommendation;
  return c;
}

/** §4.2: the template object of the list/get/create answers. */
export function toApiShape(t: StoredTemplate): SandboxTemplate {
  const { wabaId, namespace } = wabaOf(t.appId);
  const meta: Json = { example: t.example ?? t.content };
  if (t.exampleHeader !== undefined) meta.exampleHeader = t.exampleHeader;
  if (t.sampleMedia !== undefined) meta.mediaId = t.sampleMedia;
  const codes = [...new Set(t.buttons.map((b) => BUTTON_CODES[String(b.type)] ?? String(b.type)))];
  const o: SandboxTemplate = {
    id: t.id,
    appId: t.appId,
    externalId: t.externalId,
    elementName: t.elementName,
    languageCode: t.languageCode,
    languagePolicy: 'deterministic',
    category: t.category,
    templateType: t.templateType,
    status: t.status,
    data: dataOf(t),
    containerMeta: JSON.stringify(containerMetaOf(t)),
    meta: JSON.stringify(meta),
    vertical: t.vertical,
    namespace,
    wabaId,
    quality: 'UNKNOWN',
    priority: 1,
    retry: 0,
    stage: 'NONE',
    createdOn: t.createdOn,
    modifiedOn: t.modifiedOn,
  };
  if (t.reason !== undefined) o.reason = t.reason;
  if (codes.length > 0) o.buttonSupported = codes.join(',');
  return o;
}

export function templatesOf(s: SandboxState, appId?: string): StoredTemplate[] {
  return [...s.templates.values()].filter((t) => appId === undefined || t.appId === appId);
}

/** Stores a checked template; refuses a name+language the app already has (§4.3) or a 251st name (§4.4). */
export function storeTemplate(
  s: SandboxState,
  app: SandboxApp,
  spec: TemplateSpec,
  status: TemplateStatus,
): { ok: true; template: StoredTemplate } | { ok: false; error: string } {
  const mine = templatesOf(s, app.appId);
  if (mine.some((t) => t.elementName === spec.elementName && t.languageCode === spec.languageCode)) {
    return { ok: false, error: 'Template already exists with the same elementName and languageCode' };
  }
  const names = new Set(mine.map((t) => t.elementName));
  if (!names.has(spec.elementName) && names.size >= MAX_NAMES) {
    return { ok: false, error: `Template limit reached: at most ${MAX_NAMES} template names per account` };
  }
  const now = Date.now();
  const t: StoredTemplate = {
    ...spec,
    id: randomUUID(),
    appId: app.appId,
    appName: app.appName,
    externalId: String(1_000_000_000_000_000n + BigInt(Math.floor(s.rand() * 1e15))),
    status,
    createdOn: now,
    modifiedOn: now,
  };
  s.templates.set(t.id, t);
  return { ok: true, template: t };
}

/** §3.7: the `template-event` status-update of a template's current or given status. */
function statusEvent(
  t: StoredTemplate,
  status: TemplateStatus,
  opts: { reason?: string; description?: string },
): Json {
  const payload: Json = {
    type: 'status-update',
    id: t.id,
    status: status.toLowerCase(),
    elementName: t.elementName,
    languageCode: t.languageCode,
  };
  if (status === 'REJECTED') payload.rejectedReason = opts.reason ?? t.reason ?? DEFAULT_REJECT_REASON;
  const description = opts.description ?? (status === 'PAUSED' ? PAUSED_DESCRIPTION : undefined);
  if (description !== undefined) payload.description = description;
  return { app: t.appName, timestamp: Date.now(), version: 2, type: 'template-event', payload };
}

/** Sets the status (and the rejection `reason`) and gives back the event to post. */
function applyStatus(
  t: StoredTemplate,
  status: TemplateStatus,
  opts: { reason?: string; description?: string },
): Json {
  t.status = status;
  t.modifiedOn = Date.now();
  if (status === 'REJECTED') t.reason = opts.reason ?? DEFAULT_REJECT_REASON;
  else if (opts.reason !== undefined) t.reason = opts.reason;
  else delete t.reason;
  return statusEvent(t, status, opts);
}

export function setTemplateStatus(
  s: SandboxState,
  templateId: string,
  status: TemplateStatus,
  opts: { reason?: string; description?: string } = {},
): void {
  const t = s.templates.get(templateId);
  if (!t) throw new Error(`sandbox gupshup: unknown template ${templateId}`);
  const body = applyStatus(t, status, opts);
  void s.track(() => deliver(s, t.appName, body));
}

/** The review of a template created through the API, decided by the review setting at creation. */
export function scheduleReview(s: SandboxState, t: StoredTemplate): void {
  const r = s.templateReview;
  if (r.mode === 'manual') return;
  const status: TemplateStatus = r.mode === 'approve' ? 'APPROVED' : 'REJECTED';
  const opts = r.mode === 'reject' && r.reason !== undefined ? { reason: r.reason } : {};
  void s.track(async () => {
    if (!(await s.sleep(r.delayMs ?? DEFAULT_REVIEW.delayMs ?? 0))) return;
    // deleted or changed (setTemplateStatus) in the meantime: nothing left to review
    if (s.templates.get(t.id) !== t || t.status !== 'PENDING') return;
    await deliver(s, t.appName, applyStatus(t, status, opts));
  });
}

/** §4.1 delete: every language of the name goes; a `deleted` status-update per language (§3.7). */
export function deleteByName(s: SandboxState, appId: string, elementName: string): number {
  const gone = templatesOf(s, appId).filter((t) => t.elementName === elementName);
  for (const t of gone) {
    s.templates.delete(t.id);
    const body = statusEvent(t, 'DELETED', {});
    void s.track(() => deliver(s, t.appName, body));
  }
  return gone.length;
}

const sample = (text: string): string =>
  text.replace(/\{\{\s*(\d+)\s*\}\}/g, (_m, n: string) => `sample${n}`);

/** The form a console-made template would have had, with the samples the console asks for filled in. */
function consoleForm(f: ConsoleTemplateFields): Map<string, string> {
  const form = new Map<string, string>();
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || k === 'status' || k === 'reason') continue;
    form.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  if (!form.has('templateType')) form.set('templateType', 'TEXT');
  if (!form.has('vertical')) form.set('vertical', 'console');
  if (!form.has('enableSample')) form.set('enableSample', 'true');
  if (!form.has('example') && variablesOf(f.content).length > 0) form.set('example', sample(f.content));
  if (f.header && !form.has('exampleHeader') && variablesOf(f.header).length > 0) {
    form.set('exampleHeader', sample(f.header));
  }
  const media = ['exampleMedia', 'mediaId', 'mediaUrl'].some((k) => form.has(k));
  if (!media) form.set('exampleMedia', '4::c2FuZGJveA==:console-sample');
  return form;
}

export function addConsoleTemplate(
  s: SandboxState,
  appId: string,
  f: ConsoleTemplateFields,
): SandboxTemplate {
  const app = s.appById(appId);
  if (!app) throw new Error(`sandbox gupshup: unknown app id ${appId}`);
  const form = consoleForm(f);
  const checked = checkTemplateFields((name) => form.get(name));
  if (!checked.ok) throw new Error(`sandbox gupshup: addConsoleTemplate: ${checked.error}`);
  const stored = storeTemplate(s, app, checked.value, f.status ?? 'APPROVED');
  if (!stored.ok) throw new Error(`sandbox gupshup: addConsoleTemplate: ${stored.error}`);
  if (f.reason !== undefined) stored.template.reason = f.reason;
  else if (stored.template.status === 'REJECTED') stored.template.reason = DEFAULT_REJECT_REASON;
  return toApiShape(stored.template);
}

export function deleteConsoleTemplate(s: SandboxState, appId: string, elementName: string): void {
  if (deleteByName(s, appId, elementName) === 0) {
    throw new Error(`sandbox gupshup: app ${appId} has no template ${elementName}`);
  }
}
