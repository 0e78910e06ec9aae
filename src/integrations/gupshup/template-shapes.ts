import { z } from 'zod';
import type { TemplateButton } from '../../modules/templates/template-model.js';
import { parseJson } from '../../shared/http/http-client.js';

/**
 * A Gupshup template as the list and get-one answers give it (reference gupshup.md §4.2), read into
 * neutral words. `containerMeta` (and `meta`) are documented as JSON strings; an object is read too.
 * Unknown button kinds are left out; `buttonsComplete` says so.
 */
export interface GupshupTemplate {
  id: string;
  elementName: string;
  language: string;
  /** Upper case, as Gupshup spells it (MARKETING, UTILITY, AUTHENTICATION…). */
  category: string;
  /** Upper case (TEXT, IMAGE, DOCUMENT, VIDEO, LOCATION, CAROUSEL…). */
  type: string;
  /** Upper case (PENDING, APPROVED, REJECTED, PAUSED, DISABLED, DELETED, IN_APPEAL, FAILED…). */
  status: string;
  reason: string | undefined;
  body: string;
  header: string | undefined;
  footer: string | undefined;
  buttons: TemplateButton[];
  buttonsComplete: boolean;
  sampleBody: string | undefined;
  sampleHeader: string | undefined;
}

/** A JSON string read as JSON, an object as it is, anything else as nothing. */
const jsonOrObject = <T extends z.ZodType>(inner: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? (parseJson(v) ?? undefined) : v),
    inner.optional().catch(undefined),
  );

const text = z.string().optional().catch(undefined);

const containerMeta = z
  .object({
    data: text,
    header: text,
    footer: text,
    buttons: z.array(z.unknown()).optional().catch(undefined),
    sampleText: text,
    sampleHeader: text,
  })
  .loose();

const rawTemplate = z
  .object({
    id: z.string().min(1),
    elementName: z.string().min(1),
    languageCode: z.string().min(1),
    status: z.string().min(1),
    category: z.string().optional().catch(undefined),
    templateType: z.string().optional().catch(undefined),
    reason: z.string().nullish().catch(undefined),
    data: text,
    containerMeta: jsonOrObject(containerMeta),
    meta: jsonOrObject(z.object({ example: text }).loose()),
  })
  .loose();

const rawButton = z
  .object({
    type: z.string(),
    text: text,
    url: text,
    phone_number: text,
    otp_type: text,
    example: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .catch(undefined),
  })
  .loose();

/** One of our buttons for one of Gupshup's, or undefined for a kind we do not handle. */
export function readButton(raw: unknown): TemplateButton | undefined {
  const b = rawButton.safeParse(raw);
  if (!b.success) return undefined;
  const example = Array.isArray(b.data.example) ? b.data.example[0] : b.data.example;
  switch (b.data.type.toUpperCase()) {
    case 'QUICK_REPLY':
      return { type: 'QUICK_REPLY', text: b.data.text ?? '' };
    case 'URL':
      return { type: 'URL', text: b.data.text ?? '', url: b.data.url ?? '', ...(example ? { example } : {}) };
    case 'PHONE_NUMBER':
      return { type: 'PHONE_NUMBER', text: b.data.text ?? '', phoneNumber: b.data.phone_number ?? '' };
    case 'COPY_CODE':
      return { type: 'COPY_CODE', example: example ?? '' };
    case 'OTP':
      return { type: 'OTP', otpType: 'COPY_CODE', ...(b.data.text ? { text: b.data.text } : {}) };
    default:
      return undefined;
  }
}

/** A template from Gupshup's answer; undefined when it lacks even its id, name, language or status. */
export function readTemplate(raw: unknown): GupshupTemplate | undefined {
  const r = rawTemplate.safeParse(raw);
  if (!r.success) return undefined;
  const t = r.data;
  const meta = t.containerMeta;
  const rawButtons = meta?.buttons ?? [];
  const buttons = rawButtons.map(readButton).filter((b): b is TemplateButton => b !== undefined);
  return {
    id: t.id,
    elementName: t.elementName,
    language: t.languageCode,
    category: (t.category ?? '').toUpperCase(),
    type: (t.templateType ?? 'TEXT').toUpperCase(),
    status: t.status.toUpperCase(),
    reason: t.reason ?? undefined,
    body: meta?.data ?? t.data ?? '',
    header: meta?.header || undefined,
    footer: meta?.footer || undefined,
    buttons,
    buttonsComplete: buttons.length === rawButtons.length,
    sampleBody: meta?.sampleText ?? t.meta?.example,
    sampleHeader: meta?.sampleHeader,
  };
}
