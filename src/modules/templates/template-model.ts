/**
 * The shape of a WhatsApp template (C6, seed 001; reference gupshup.md §4.2–§4.4) and the numbers its
 * rules use. PURE: no imports at all, so the pages' bundle can use it as it is (template-rules.ts).
 */

export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

/** What the header holds: TEXT (an optional text header) or a media header of that kind. */
export const TEMPLATE_TYPES = ['TEXT', 'IMAGE', 'DOCUMENT', 'VIDEO'] as const;
export type TemplateType = (typeof TEMPLATE_TYPES)[number];
export type MediaTemplateType = Exclude<TemplateType, 'TEXT'>;

export const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP'] as const;

/** A button as we keep it; the Gupshup adapter maps it to Gupshup's own names (`phone_number`…). */
export type TemplateButton =
  | { type: 'QUICK_REPLY'; text: string }
  | { type: 'URL'; text: string; url: string; example?: string | undefined }
  | { type: 'PHONE_NUMBER'; text: string; phoneNumber: string }
  | { type: 'COPY_CODE'; example: string }
  | { type: 'OTP'; otpType: 'COPY_CODE'; text?: string | undefined };

/** The human name and example of one `{{n}}`: what an agent is asked to fill, and Gupshup's sample. */
export interface TemplateParam {
  name: string;
  example: string;
}

/**
 * A template's content as a person writes it. `category` and `type` are plain strings here: the rules
 * say which values are allowed, in the caller's language. `params[i]` is the body's `{{i+1}}`;
 * `headerParam` is the text header's own `{{1}}` (WhatsApp numbers the header apart from the body).
 */
export interface TemplateContent {
  elementName: string;
  displayName: string;
  language: string;
  category: string;
  type: string;
  header?: string | null | undefined;
  headerParam?: TemplateParam | null | undefined;
  body: string;
  footer?: string | null | undefined;
  buttons?: readonly TemplateButton[] | undefined;
  params: readonly TemplateParam[];
  sampleMediaId?: string | null | undefined;
}

/** One broken rule: the field (`body`, `params.1.example`, `buttons.0.url`…), a code, its numbers. */
export interface RuleIssue {
  field: string;
  code: RuleCode;
  params?: Record<string, string | number>;
}

/** How a rule reports what it found. */
export type AddIssue = (field: string, code: RuleCode, params?: RuleIssue['params']) => void;

/**
 * Limits from the reference (§4.3, §4.4) and WhatsApp's own (button text, copy code). The display
 * name and the parameter name are ours: they are shown to agents, not sent.
 */
export const LIMITS = {
  elementName: 180,
  displayName: 100,
  header: 60,
  body: 1024,
  footer: 60,
  paramName: 60,
  buttonText: 25,
  copyCodeExample: 15,
  buttons: 10,
  quickReplies: 10,
  urlButtons: 2,
  phoneButtons: 1,
  copyCodeButtons: 1,
} as const;

const MB = 1024 * 1024;

/**
 * The header media a template may carry, as the seed allows them: image JPG/PNG ≤ 2 MB, PDF ≤ 2 MB,
 * MP4 ≤ 5 MB. Stricter than Gupshup's (5 / 100 / 16 MB, reference §4.4): the seed's are what the
 * customer's agents know, and a smaller file is always accepted upstream.
 */
export const TEMPLATE_MEDIA: Record<MediaTemplateType, { mimes: readonly string[]; maxBytes: number }> = {
  IMAGE: { mimes: ['image/jpeg', 'image/png'], maxBytes: 2 * MB },
  DOCUMENT: { mimes: ['application/pdf'], maxBytes: 2 * MB },
  VIDEO: { mimes: ['video/mp4'], maxBytes: 5 * MB },
};

/** The template type a header file of this MIME type fits, if any. */
export function mediaTypeOf(mime: string): MediaTemplateType | undefined {
  for (const [type, m] of Object.entries(TEMPLATE_MEDIA)) {
    if (m.mimes.includes(mime)) return type as MediaTemplateType;
  }
  return undefined;
}

/**
 * Language codes offered first (es, en, pt as the seed's customers use them); any other Gupshup code
 * of the form `xx` / `xxx` / `xx_YY` is accepted too (reference §4.3: `en`, `en_US`, `pt_BR`…).
 */
export const LANGUAGE_SUGGESTIONS = [
  'es',
  'es_AR',
  'es_MX',
  'es_ES',
  'en',
  'en_US',
  'en_GB',
  'pt_BR',
  'pt_PT',
] as const;

/**
 * The fixed body of an authentication template by language (seed 001: "Tu código de verificación es
 * {{1}}", not editable); WhatsApp writes the code into `{{1}}`.
 */
export const AUTH_BODIES: Readonly<Record<'es' | 'en' | 'pt', string>> = {
  es: 'Tu código de verificación es {{1}}',
  en: 'Your verification code is {{1}}',
  pt: 'Seu código de verificação é {{1}}',
};

/** The fixed authentication body for a language code (`es_AR` → the Spanish one); undefined if none. */
export function authBody(language: string): string | undefined {
  const family = language.slice(0, 2).toLowerCase();
  return family === 'es' || family === 'en' || family === 'pt' ? AUTH_BODIES[family] : undefined;
}

/** Every rule's code; template-texts.ts has the words of each in es, en and pt. */
export const RULE_CODES = [
  'element_name_required',
  'element_name_format',
  'element_name_too_long',
  'element_name_taken',
  'display_name_required',
  'display_name_too_long',
  'language_required',
  'language_format',
  'category_invalid',
  'type_invalid',
  'header_too_long',
  'header_newline',
  'header_media_type',
  'header_too_many_variables',
  'header_variable_number',
  'header_param_required',
  'header_param_unused',
  'body_required',
  'body_too_long',
  'footer_too_long',
  'footer_has_variable',
  'placeholder_malformed',
  'placeholder_missing',
  'placeholder_repeated',
  'placeholder_order',
  'placeholder_at_start',
  'placeholder_at_end',
  'placeholders_adjacent',
  'params_count',
  'param_name_required',
  'param_name_too_long',
  'param_name_repeated',
  'param_example_required',
  'param_example_format',
  'buttons_mixed',
  'buttons_too_many',
  'quick_replies_too_many',
  'url_buttons_too_many',
  'phone_buttons_too_many',
  'copy_code_buttons_too_many',
  'button_type_invalid',
  'button_text_required',
  'button_text_too_long',
  'button_text_repeated',
  'button_url_invalid',
  'button_url_variable',
  'button_url_example_required',
  'button_url_example_invalid',
  'button_phone_invalid',
  'copy_code_example_required',
  'copy_code_example_too_long',
  'copy_code_marketing_only',
  'otp_authentication_only',
  'otp_type_invalid',
  'auth_text_only',
  'auth_no_header',
  'auth_no_footer',
  'auth_language',
  'auth_body_fixed',
  'auth_otp_button',
  'sample_media_required',
  'sample_media_unused',
  'sample_media_not_found',
  'sample_media_wrong_type',
  'line_unknown',
  'channel_no_app_id',
] as const;
export type RuleCode = (typeof RULE_CODES)[number];
