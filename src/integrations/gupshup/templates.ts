import { stringify } from 'qs';
import { z } from 'zod';
import type { TemplateButton } from '../../modules/templates/template-model.js';
import { ProviderError } from '../../shared/errors.js';
import {
  parseJson,
  transportFailure,
  TransportError,
  type HttpClient,
  type HttpResponse,
} from '../../shared/http/http-client.js';
import { readTemplate, type GupshupTemplate } from './template-shapes.js';

export type { GupshupTemplate } from './template-shapes.js';

/**
 * Gupshup's self-serve template management with an app's API key (reference gupshup.md §4.1–§4.3):
 * create (form-urlencoded), list, get one, delete by element name (every language, irreversible).
 * Create has no idempotency key: a create whose answer we did not see carries `outcomeUnknown`, and
 * the caller looks the template up by element name and language before creating again.
 */
export interface GupshupAppKey {
  appId: string;
  apiKey: string;
}

/** A template to submit, in neutral words; this file spells it the way Gupshup's form wants. */
export interface TemplateSubmission {
  elementName: string;
  language: string;
  category: string;
  type: string;
  /** Gupshup requires it (§4.3, free label ≤ 180): we send the display name. */
  vertical: string;
  header?: string | undefined;
  /** The header with its sample in `{{1}}`, when the header has a variable. */
  headerExample?: string | undefined;
  body: string;
  /** The body with every sample substituted (§4.3 `example`). */
  bodyExample: string;
  footer?: string | undefined;
  buttons: readonly TemplateButton[];
  /** A public link to the header's sample file (image, document, video templates). */
  mediaUrl?: string | undefined;
}

export class GupshupTemplateError extends ProviderError {
  constructor(
    operation: string,
    message: string,
    opts: ConstructorParameters<typeof ProviderError>[3],
    /** True when Gupshup may have acted on the request (time-out, unreadable 2xx, 5xx). */
    readonly outcomeUnknown = false,
    /** Gupshup's own words when it refused the request (a 4xx `message`). */
    readonly refusal?: string,
  ) {
    super('gupshup', operation, message, opts);
  }
}

const created = z
  .object({
    status: z.string(),
    template: z.object({ id: z.string().min(1), status: z.string().optional() }).loose(),
  })
  .loose();
const listAnswer = z.object({ status: z.literal('success'), templates: z.array(z.unknown()) }).loose();
const oneAnswer = z.object({ status: z.literal('success'), template: z.unknown() }).loose();
const errorBody = z.object({ status: z.string().optional(), message: z.string().optional() }).loose();

/** Gupshup's button JSON for one of ours (§4.3 `buttons`). */
export function gupshupButton(b: TemplateButton): Record<string, unknown> {
  switch (b.type) {
    case 'QUICK_REPLY':
      return { type: 'QUICK_REPLY', text: b.text };
    case 'URL':
      return { type: 'URL', text: b.text, url: b.url, ...(b.example ? { example: [b.example] } : {}) };
    case 'PHONE_NUMBER':
      return { type: 'PHONE_NUMBER', text: b.text, phone_number: b.phoneNumber };
    case 'COPY_CODE':
      return { type: 'COPY_CODE', example: b.example };
    case 'OTP':
      return { type: 'OTP', otp_type: b.otpType, ...(b.text ? { text: b.text } : {}) };
  }
}

/** The create form (§4.3); exported for the tests. */
export function createForm(t: TemplateSubmission): string {
  return stringify({
    elementName: t.elementName,
    languageCode: t.language,
    category: t.category,
    templateType: t.type,
    vertical: t.vertical.slice(0, 180),
    content: t.body,
    example: t.bodyExample,
    ...(t.header ? { header: t.header } : {}),
    ...(t.headerExample ? { exampleHeader: t.headerExample } : {}),
    ...(t.footer ? { footer: t.footer } : {}),
    ...(t.buttons.length ? { buttons: JSON.stringify(t.buttons.map(gupshupButton)) } : {}),
    // Required for media headers and links with a variable; harmless elsewhere.
    enableSample: 'true',
    ...(t.mediaUrl ? { mediaUrl: t.mediaUrl } : {}),
    allowTemplateCategoryChange: 'false',
  });
}

export class GupshupTemplatesClient {
  constructor(
    private readonly http: HttpClient,
    private readonly apiUrl: string,
    private readonly timeoutMs = 20_000,
  ) {}

  async #call(
    op: string,
    app: GupshupAppKey,
    req: { method: 'GET' | 'POST' | 'DELETE'; url: string; body?: string },
  ): Promise<HttpResponse> {
    try {
      return await this.http.send({
        method: req.method,
        url: req.url,
        headers: {
          apikey: app.apiKey,
          accept: 'application/json',
          ...(req.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(req.body !== undefined ? { body: req.body } : {}),
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      if (err instanceof TransportError) {
        throw new GupshupTemplateError(
          op,
          `Gupshup unreachable: ${err.message}`,
          transportFailure(err),
          err.outcomeUnknown,
        );
      }
      throw err;
    }
  }

  /** Submits a template for review (§4.3). Gupshup answers with its id and (usually) PENDING. */
  async create(app: GupshupAppKey, t: TemplateSubmission): Promise<{ id: string; status: string }> {
    const res = await this.#call('template.create', app, {
      method: 'POST',
      url: `${this.apiUrl}/wa/app/${enc(app.appId)}/template`,
      body: createForm(t),
    });
    const body = parseJson(res.text);
    const ok = created.safeParse(body);
    if (res.status >= 200 && res.status < 300 && ok.success && ok.data.status === 'success') {
      return { id: ok.data.template.id, status: (ok.data.template.status ?? 'PENDING').toUpperCase() };
    }
    if (res.status >= 200 && res.status < 300 && errorBody.safeParse(body).data?.status !== 'error') {
      // A 2xx we cannot read may still be a created template: never guess, look it up.
      throw new GupshupTemplateError(
        'template.create',
        'Gupshup answered 2xx without a template id',
        {
          retryable: true,
        },
        true,
      );
    }
    throw refused('template.create', res, body, res.status >= 500);
  }

  /**
   * Every template of the app (§4.1, §4.2). `complete` is false when an entry could not be read even
   * for its id: a caller must not conclude from this list that a template is gone.
   */
  async list(app: GupshupAppKey): Promise<{ templates: GupshupTemplate[]; complete: boolean }> {
    const res = await this.#call('template.list', app, {
      method: 'GET',
      url: `${this.apiUrl}/wa/app/${enc(app.appId)}/template`,
    });
    const body = parseJson(res.text);
    const ok = listAnswer.safeParse(body);
    if (res.status !== 200 || !ok.success) throw refused('template.list', res, body, false, true);
    const read = ok.data.templates.map(readTemplate);
    const templates = read.filter((t): t is GupshupTemplate => t !== undefined);
    return { templates, complete: templates.length === read.length };
  }

  /** One template by Gupshup's id; null when Gupshup does not know it. */
  async get(app: GupshupAppKey, templateId: string): Promise<GupshupTemplate | null> {
    const res = await this.#call('template.get', app, {
      method: 'GET',
      url: `${this.apiUrl}/wa/app/${enc(app.appId)}/template/${enc(templateId)}`,
    });
    const body = parseJson(res.text);
    const ok = oneAnswer.safeParse(body);
    if (res.status === 200 && ok.success) return readTemplate(ok.data.template) ?? null;
    if (res.status === 404 || (res.status === 400 && /not\s*exist|not found/i.test(messageOf(body)))) {
      return null;
    }
    throw refused('template.get', res, body, false, true);
  }

  /**
   * Deletes every language of an element name (§4.1; irreversible). `gone` when Gupshup says there is
   * no such template ("Template Does not exists."): the wanted end state either way.
   */
  async delete(app: GupshupAppKey, elementName: string): Promise<'deleted' | 'gone'> {
    const res = await this.#call('template.delete', app, {
      method: 'DELETE',
      url: `${this.apiUrl}/wa/app/${enc(app.appId)}/template/${enc(elementName)}`,
    });
    const body = parseJson(res.text);
    if (res.status >= 200 && res.status < 300 && errorBody.safeParse(body).data?.status !== 'error') {
      return 'deleted';
    }
    if (res.status < 500 && /does\s*not\s*exist/i.test(messageOf(body))) return 'gone';
    throw refused('template.delete', res, body, false);
  }
}

const enc = encodeURIComponent;

function messageOf(body: unknown): string {
  return errorBody.safeParse(body).data?.message ?? '';
}

/**
 * A refusal: 429 and 5xx are retried; 401 is a key to fix; any other 4xx carries Gupshup's own words
 * (shown to the admin). `unknown`: a 5xx to a create may still have created the template.
 * `glitch2xx`: a 2xx we could not read (a read call) is retried, not taken as a refusal.
 */
function refused(
  op: string,
  res: HttpResponse,
  body: unknown,
  unknown: boolean,
  glitch2xx = false,
): GupshupTemplateError {
  const words = messageOf(body);
  const retryAfter = Number(res.headers['retry-after']);
  const is2xx = res.status >= 200 && res.status < 300;
  const retryable = res.status === 429 || res.status >= 500 || (glitch2xx && is2xx);
  return new GupshupTemplateError(
    op,
    `Gupshup refused ${op}: ${words || `HTTP ${res.status}`}`,
    {
      status: res.status,
      providerCode: String(res.status),
      retryable,
      throttled: res.status === 429,
      authFailure: res.status === 401 || res.status === 403,
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    },
    unknown,
    retryable ? undefined : words || `HTTP ${res.status}`,
  );
}
