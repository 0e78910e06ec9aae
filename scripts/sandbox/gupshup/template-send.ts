/**
 * A template send (§2.1) against the app's stored templates (§4). The request itself is accepted
 * (2xx, §1.2); what is wrong with the template comes back as a `failed` message-event (sync shape,
 * §3.4) with the §8 codes:
 *  - id unknown to the app ............................ 4003 "no template match"
 *  - PAUSED ........................................... 4005 (§4.4; Meta's 132015)
 *  - DISABLED ......................................... 132016 (§4.4, §8)
 *  - any other status but APPROVED (PENDING, REJECTED…) 132001 "missing in language/not approved" (§8)
 *  - media/location header missing in `message` ....... 132000 param count mismatch (sandbox choice:
 *    the header's parameter is missing); of another kind, or a `message` for a template without
 *    one: 132012 param format (sandbox choice)
 *  - `params` count ≠ the template's variables ........ 132000 (§8)
 * Sandbox choice for the count (§2.1 says "in order of appearance"): a text header's variable comes
 * first, then the body's distinct variables; URL-button and carousel-card variables are not counted.
 */
import type { MetaFailure } from './validate.js';
import type { SandboxState } from './state.js';
import { variableCount } from './template-rules.js';
import type { StoredTemplate } from './templates.js';
import type { RenderedTemplate, SandboxApp } from './types.js';
import { isObj, type Json } from './util.js';

/** The `message` header kind (§2.1) each template type needs; none for the others. */
const HEADER_KIND: Record<string, string> = {
  IMAGE: 'image',
  VIDEO: 'video',
  DOCUMENT: 'document',
  LOCATION: 'location',
  CAROUSEL: 'carousel',
};

const PARAM_COUNT: MetaFailure = {
  code: 132000,
  reason: 'Number of parameters does not match the expected number of params',
};
const PARAM_FORMAT: MetaFailure = {
  code: 132012,
  reason: 'Parameter format does not match format in the created template',
};

function statusFailure(t: StoredTemplate): MetaFailure | undefined {
  if (t.status === 'APPROVED') return undefined;
  if (t.status === 'PAUSED') return { code: 4005, reason: 'Template is paused' };
  if (t.status === 'DISABLED') return { code: 132016, reason: 'Template is disabled' };
  return { code: 132001, reason: 'Template does not exist in the language or is not approved' };
}

function headerFailure(t: StoredTemplate, header: unknown): MetaFailure | undefined {
  const kind = HEADER_KIND[t.templateType];
  const given = isObj(header) ? header.type : undefined;
  if (kind === undefined) return given === undefined ? undefined : PARAM_FORMAT;
  if (given === undefined) return PARAM_COUNT;
  return given === kind ? undefined : PARAM_FORMAT;
}

const fill = (text: string, values: string[]): string =>
  text.replace(/\{\{\s*(\d+)\s*\}\}/g, (m, n: string) => values[Number(n) - 1] ?? m);

function render(t: StoredTemplate, params: string[]): RenderedTemplate {
  const headerVars = variableCount(t.header);
  const r: RenderedTemplate = {
    id: t.id,
    elementName: t.elementName,
    languageCode: t.languageCode,
    category: t.category,
    templateType: t.templateType,
    body: fill(t.content, params.slice(headerVars)),
    buttons: t.buttons.map((b) => String(b.text ?? b.type)),
    text: '',
  };
  if (t.header !== undefined) r.header = fill(t.header, params.slice(0, headerVars));
  if (t.footer !== undefined) r.footer = t.footer;
  r.text = [r.header, r.body, r.footer].filter((x) => x !== undefined).join('\n');
  return r;
}

/** Finds the template of a validated send (`{type:'template', template:{id, params}, message?}`). */
export function resolveTemplateSend(
  s: SandboxState,
  app: SandboxApp,
  record: Json,
): { meta?: MetaFailure; rendered?: RenderedTemplate } {
  const ref = isObj(record.template) ? record.template : {};
  const t = s.templates.get(String(ref.id));
  if (!t || t.appId !== app.appId) return { meta: { code: 4003, reason: 'No template match found' } };
  const meta = statusFailure(t) ?? headerFailure(t, record.message);
  if (meta) return { meta };
  const params = Array.isArray(ref.params) ? ref.params.map(String) : [];
  if (params.length !== variableCount(t.header) + variableCount(t.content)) return { meta: PARAM_COUNT };
  return { rendered: render(t, params) };
}
