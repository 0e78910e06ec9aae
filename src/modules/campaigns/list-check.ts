import { normalizeRecipientPhone } from '../notifications/phone.js';
import { paramSlots, type SendableTemplate } from '../templates/template-send-rules.js';
import type { ListLine } from './csv-list.js';

/**
 * One list line checked (pure): its phone in E.164 with the channel's country as default, the
 * template it uses (the campaign's, or the dialer row's own `hsm:<code>`) and the number of values it
 * gives. The first fault found is the row's rejection code (contract, "Row rejection codes");
 * opted-out numbers are looked up per batch by the caller.
 */

export type RejectCode =
  | 'phone_missing'
  | 'phone_invalid'
  | 'duplicate'
  | 'opted_out'
  | 'param_missing'
  | 'template_unknown'
  | 'template_not_approved'
  | 'too_many_params';

export interface ListTemplate {
  id: string;
  elementName: string;
  usable: boolean;
  sendable: SendableTemplate;
}

export interface CheckContext {
  defaultCountry: string;
  /** The campaign's template; null when none is chosen yet. */
  template: ListTemplate | null;
  /** The channel's templates by element name (lower case), for the dialer rows' codes. */
  byCode: ReadonlyMap<string, ListTemplate>;
  /** Numbers already on the list (this upload). */
  seen: Set<string>;
}

export interface CheckedRow {
  line: number;
  rawPhone: string;
  phone: string | null;
  name: string;
  params: string[];
  /** The row's own template when it is not the campaign's. */
  templateId: string | null;
  template: ListTemplate | null;
  code: RejectCode | null;
}

const MAX_TEXT = 200;
const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

export function checkLine(l: ListLine, c: CheckContext): CheckedRow {
  const base = {
    line: l.line,
    rawPhone: clip(l.rawPhone, 100),
    name: clip(l.name, MAX_TEXT),
    params: l.params.map((p) => clip(p, 1024)),
  };
  const reject = (code: RejectCode, phone: string | null = null, template: ListTemplate | null = null) => ({
    ...base,
    phone,
    templateId: null,
    template,
    code,
  });
  if (!l.rawPhone) return reject('phone_missing');
  const parsed = normalizeRecipientPhone(l.rawPhone, { defaultCountry: c.defaultCountry });
  if (!parsed.ok) return reject('phone_invalid');
  const phone = parsed.e164;
  let template = c.template;
  if (l.templateCode !== null) {
    template = c.byCode.get(l.templateCode.toLowerCase()) ?? null;
    if (!template) return reject('template_unknown', phone);
  }
  if (!template) return reject('template_unknown', phone);
  if (!template.usable) return reject('template_not_approved', phone, template);
  const slots = paramSlots(template.sendable).length;
  const given = trimTrailingEmpty(base.params);
  if (given.length > slots) return reject('too_many_params', phone, template);
  if (given.length < slots || given.some((p) => !p.trim())) return reject('param_missing', phone, template);
  if (c.seen.has(phone)) return reject('duplicate', phone, template);
  c.seen.add(phone);
  return {
    ...base,
    params: given,
    phone,
    templateId: template.id === c.template?.id ? null : template.id,
    template,
    code: null,
  };
}

function trimTrailingEmpty(params: string[]): string[] {
  let n = params.length;
  while (n > 0 && !params[n - 1]?.trim()) n -= 1;
  return params.slice(0, n);
}
