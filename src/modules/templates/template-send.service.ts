import { createHash } from 'node:crypto';
import { AppError, ConflictError, NotFoundError } from '../../shared/errors.js';
import type { Lang } from '../../shared/i18n.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import { issueText } from './send-texts.js';
import type { TemplateAccess } from './template-access.js';
import type { SendOrigin } from './send-ports.js';
import {
  headerMediaIssue,
  headerRule,
  normalisePhone,
  renderMessage,
  resolveParams,
  type SendableTemplate,
  type SendIssue,
} from './template-send-rules.js';
import type { TemplateForSend, TemplateSendRepository } from './template-send.repository.js';

/**
 * Sending a template (C6): the one entry point for the chat picker, the CRM card, the automation rule,
 * the API and, later, notifications and campaigns. It checks everything a person can fix (template
 * of the channel, approved and active, assigned to the line when an agent sends, parameters, number,
 * header media), stores the message with its conversation and jobs in one transaction, and answers.
 * Nothing upstream is called here: the `outbound.send` job sends (templates/template-outbound.ts).
 * Idempotent by client key: the same key gives the same message; with other content it is a 409.
 */

export interface TemplateSendInput {
  portalId: number;
  channelId: string;
  /** The customer's number, in any usual writing (normalised to E.164 digits). */
  to: string;
  templateId: string;
  params?: string[] | Record<string, string> | undefined;
  /** Header file by link (re-hosted by the media module before sending) … */
  mediaUrl?: string | undefined;
  /** … or a file already stored (`POST /templates/media`). */
  mediaId?: string | undefined;
  clientKey?: string | null | undefined;
  /** The Bitrix24 user who sends; null for the API and automation. */
  sentBy?: number | null | undefined;
  /** The open-line chat the agent sends from (same as `origin: { kind: 'chat' }`). */
  chatId?: number | undefined;
  origin?: SendOrigin | undefined;
  /** The caller's language, for the reasons of a refusal. */
  lang?: Lang | undefined;
}

export interface SendAccepted {
  messageId: number;
  status: string;
  /** The key had been used with the same content: nothing new was stored. */
  duplicate: boolean;
}

/** A send refused for reasons the caller can fix: 400 with one reason per field. */
export class SendRefused extends AppError {
  constructor(
    readonly issues: Array<SendIssue & { message: string }>,
    status = 400,
  ) {
    super(
      status === 403 ? 'forbidden' : 'validation_error',
      issues.map((i) => `${i.field}: ${i.message}`).join('; '),
      status,
    );
  }
}

export function refuse(lang: Lang, issues: SendIssue[], status = 400): SendRefused {
  return new SendRefused(
    issues.map((i) => ({ ...i, message: issueText(lang, i) })),
    status,
  );
}

export interface TemplateSendDeps {
  repo: TemplateSendRepository;
  /** Who may read and use a channel's templates (template-access.ts). */
  access: Pick<TemplateAccess, 'require' | 'scope'>;
  nudge: () => void;
}

type Checked = {
  template: TemplateForSend;
  phone: string;
  params: string[];
  media: { mediaId: string; name: string; mime: string; size: number } | null;
};

export class TemplateSendService {
  constructor(private readonly d: TemplateSendDeps) {}

  get access(): TemplateSendDeps['access'] {
    return this.d.access;
  }

  async send(input: TemplateSendInput): Promise<SendAccepted> {
    const lang = input.lang ?? 'en';
    const origin: SendOrigin =
      input.origin ?? (input.chatId !== undefined ? { kind: 'chat', chatId: input.chatId } : { kind: 'api' });
    const c = await this.#check(input, origin, lang);
    const fingerprint = fingerprintOf(input, c);
    const key = input.clientKey ?? null;
    if (key) {
      const same = await this.#existing(input.portalId, key, fingerprint, lang);
      if (same) return same;
    }
    const id = await this.d.repo.store({
      portalId: input.portalId,
      channelId: input.channelId,
      phone: c.phone,
      templateId: c.template.id,
      clientKey: key,
      sentBy: input.sentBy ?? null,
      content: contentOf(input, origin, c, fingerprint),
      checkCrm: origin.kind === 'crm',
      fetchMedia: !!input.mediaUrl,
      record: true,
      robot: origin.kind === 'robot',
      detail: `template ${c.template.element_name} (${c.template.language}) via ${origin.kind}`,
    });
    if (id === null) {
      // The key was taken between the check and the insert: the same answer as a repeat.
      const same = key ? await this.#existing(input.portalId, key, fingerprint, lang) : undefined;
      if (!same) throw new ConflictError('The client key is in use');
      return same;
    }
    this.d.nudge();
    return { messageId: id, status: 'queued', duplicate: false };
  }

  async #existing(portalId: number, key: string, fingerprint: string, lang: Lang) {
    const prev = await this.d.repo.byClientKey(portalId, key);
    if (!prev) return undefined;
    if (prev.fingerprint !== fingerprint) {
      throw new ConflictError(
        lang === 'es'
          ? 'Esta clave ya se usó con otro contenido'
          : lang === 'pt'
            ? 'Esta chave já foi usada com outro conteúdo'
            : 'This key was already used with other content',
      );
    }
    return { messageId: prev.id, status: prev.status, duplicate: true };
  }

  /** Every check a caller can fix; the template and channel must exist (404), the rest is a 400. */
  async #check(input: TemplateSendInput, origin: SendOrigin, lang: Lang): Promise<Checked> {
    const channel = await this.d.repo.channel(input.portalId, input.channelId);
    if (!channel) throw new NotFoundError(issueText(lang, { code: 'channel_not_found' }));
    const template = await this.d.repo.template(input.portalId, input.templateId);
    if (!template || template.channel_id !== channel.id) {
      throw new NotFoundError(issueText(lang, { code: 'template_not_found' }));
    }
    const issues: SendIssue[] = [];
    if (channel.status !== 'active' && channel.status !== 'interrupted') {
      issues.push({ field: 'channelId', code: 'channel_off' });
    }
    issues.push(...templateIssues(template, origin, input.sentBy ?? null, channel.line_id));
    const phone = normalisePhone(input.to);
    if (!phone) issues.push({ field: 'to', code: 'phone_invalid' });
    const p = resolveParams(sendable(template), input.params);
    if ('issues' in p) issues.push(...p.issues);
    const media = await this.#media(input, template, issues);
    if (issues.length) throw refuse(lang, issues);
    return { template, phone: phone ?? '', params: 'params' in p ? p.params : [], media };
  }

  /** The header file: required by media templates, one way only, of the right type and size. */
  async #media(input: TemplateSendInput, t: TemplateForSend, issues: SendIssue[]) {
    const rule = headerRule(t.template_type);
    const given = [input.mediaId, input.mediaUrl].filter(Boolean).length;
    if (!rule) {
      if (given) issues.push({ field: 'media', code: 'media_not_expected' });
      return null;
    }
    if (given === 0) issues.push({ field: 'media', code: 'media_required', params: { kind: rule.kind } });
    if (given > 1) issues.push({ field: 'media', code: 'media_both' });
    if (given !== 1) return null;
    if (input.mediaUrl) {
      if (!/^https?:\/\/[^\s/]+/i.test(input.mediaUrl) || input.mediaUrl.length > 2000) {
        issues.push({ field: 'mediaUrl', code: 'media_url' });
      }
      return null;
    }
    const file = await this.d.repo.media(input.portalId, input.mediaId ?? '');
    if (!file) {
      issues.push({ field: 'mediaId', code: 'media_not_found' });
      return null;
    }
    const bad = headerMediaIssue(rule, file);
    if (bad) issues.push({ field: 'mediaId', code: bad, params: { kind: rule.kind } });
    return { mediaId: file.id, name: file.name, mime: file.mime, size: file.size };
  }

  /**
   * Whether the caller may send on the channel: tplcore's rule (template-access.ts): portal admins and
   * bearer tokens always, otherwise a sales representative or boss of the channel (quality control
   * reads, never writes).
   */
  async assertMayUse(p: ApiPrincipal, channelId: string): Promise<void> {
    await this.d.access.require(p, 'use', channelId);
  }
}

export function sendable(t: TemplateForSend): SendableTemplate {
  return {
    templateType: t.template_type,
    header: t.header,
    body: t.body,
    footer: t.footer,
    params: Array.isArray(t.params) ? (t.params as SendableTemplate['params']) : [],
    headerParam: isParam(t.header_param) ? t.header_param : null,
  };
}

function isParam(v: unknown): v is { name: string; example?: string } {
  return !!v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string';
}

/** Approved, active, and assigned to the line when an agent sends (seed 001: else never offered). */
function templateIssues(
  t: TemplateForSend,
  origin: SendOrigin,
  sentBy: number | null,
  lineId: number | null,
): SendIssue[] {
  const issues: SendIssue[] = [];
  if (t.status !== 'approved' || !t.gupshup_id) {
    issues.push({ field: 'templateId', code: 'template_not_approved', params: { status: t.status } });
  }
  if (!t.active) issues.push({ field: 'templateId', code: 'template_inactive' });
  const byAgent = origin.kind === 'chat' || origin.kind === 'crm' || sentBy !== null;
  if (byAgent && (lineId === null || !t.line_ids.includes(lineId))) {
    issues.push({ field: 'templateId', code: 'template_not_on_line' });
  }
  return issues;
}

/** What makes two sends the same send: a repeated key must come with all of it unchanged. */
function fingerprintOf(input: TemplateSendInput, c: Checked): string {
  const same = {
    channelId: input.channelId,
    to: c.phone,
    templateId: c.template.id,
    params: c.params,
    mediaId: input.mediaId ?? null,
    mediaUrl: input.mediaUrl ?? null,
  };
  return createHash('sha256').update(JSON.stringify(same)).digest('hex');
}

function contentOf(
  input: TemplateSendInput,
  origin: SendOrigin,
  c: Checked,
  fingerprint: string,
): Record<string, unknown> {
  const t = c.template;
  return {
    text: renderMessage(sendable(t), c.params),
    template: {
      id: t.id,
      elementName: t.element_name,
      displayName: t.display_name,
      language: t.language,
      type: t.template_type,
    },
    params: c.params,
    ...(c.media ? { header: c.media } : {}),
    ...(input.mediaUrl ? { file: { name: fileNameOf(input.mediaUrl), link: input.mediaUrl } } : {}),
    origin,
    fingerprint,
    operatorId: input.sentBy ?? null,
  };
}

function fileNameOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || 'header';
  } catch {
    return 'header';
  }
}
