import { AppError, NotFoundError, ProviderError } from '../../shared/errors.js';
import type { Lang } from '../../shared/i18n.js';
import { windowOpen, SERVICE_WINDOW_MS } from '../messaging/outbound/send-rules.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import { sendText } from './send-texts.js';
import { TemplateAccess } from './template-access.js';
import type { CardType, CrmCards } from './send-ports.js';
import { headerRule, normalisePhone, paramSlots } from './template-send-rules.js';
import type { TemplateForSend, TemplateSendRepository } from './template-send.repository.js';
import { sendable, type SendAccepted, type TemplateSendService } from './template-send.service.js';

/**
 * What the agent's pages ask for (C6): the templates a chat offers and sending one from it, a CRM
 * card's phones, channels and templates and sending one from it. Both go through the send service
 * with the agent as sender, so the line assignment is checked (seed 001: a template not assigned to
 * the line is not offered).
 */

/** A template as the picker shows it. */
export interface OfferedTemplate {
  id: string;
  elementName: string;
  displayName: string;
  language: string;
  category: string;
  type: string;
  header: string | null;
  body: string;
  footer: string | null;
  buttons: unknown;
  params: Array<{ name: string; example: string }>;
  /** The header file the agent must attach: its kind, types and largest size. */
  media: { kind: string; mimes: readonly string[]; maxBytes: number } | null;
}

export interface PickerSendBody {
  templateId: string;
  params?: string[] | Record<string, string> | undefined;
  mediaId?: string | undefined;
  clientKey?: string | undefined;
}

export interface Who {
  principal: ApiPrincipal;
  portalId: number;
  userId: number | null;
  lang: Lang;
  /** The page's own Bitrix24 token, when the caller is a page (its CRM rights apply). */
  viewerToken?: string | undefined;
}

export function offered(t: TemplateForSend): OfferedTemplate {
  const params = paramSlots(sendable(t)).map((x) => ({ name: x.name, example: x.example }));
  const rule = headerRule(t.template_type);
  return {
    id: t.id,
    elementName: t.element_name,
    displayName: t.display_name,
    language: t.language,
    category: t.category,
    type: t.template_type,
    header: t.header,
    body: t.body,
    footer: t.footer,
    buttons: t.buttons,
    params,
    media: rule ? { kind: rule.kind, mimes: rule.mimes, maxBytes: rule.maxBytes } : null,
  };
}

export class TemplatePickerService {
  constructor(
    private readonly d: { repo: TemplateSendRepository; send: TemplateSendService; cards: CrmCards },
  ) {}

  async #chat(portalId: number, chatId: number) {
    const conv = await this.d.repo.chat(portalId, chatId);
    if (!conv) throw new NotFoundError('This chat is not a WhatsApp conversation of the app');
    return conv;
  }

  /** GET /chats/:chatId/templates: the chat, its 24-hour window, and the line's templates. */
  async forChat(who: Who, chatId: number) {
    const conv = await this.#chat(who.portalId, chatId);
    await this.d.send.access.require(who.principal, 'read', conv.channel_id);
    const templates = conv.line_id === null ? [] : await this.d.repo.usable(conv.channel_id, conv.line_id);
    const last = conv.last_inbound_at;
    return {
      chat: {
        chatId,
        channelId: conv.channel_id,
        lineId: conv.line_id,
        windowOpen: windowOpen(last, Date.now()),
        windowClosesAt: last ? new Date(last.getTime() + SERVICE_WINDOW_MS).toISOString() : null,
      },
      templates: templates.map(offered),
    };
  }

  /** POST /chats/:chatId/templates/send: to the chat's customer, by the agent. */
  async sendFromChat(who: Who, chatId: number, body: PickerSendBody): Promise<SendAccepted> {
    const conv = await this.#chat(who.portalId, chatId);
    await this.d.send.assertMayUse(who.principal, conv.channel_id);
    return this.d.send.send({
      portalId: who.portalId,
      channelId: conv.channel_id,
      to: conv.customer_phone,
      templateId: body.templateId,
      params: body.params,
      mediaId: body.mediaId,
      clientKey: body.clientKey ? `chat:${body.clientKey}` : null,
      sentBy: who.userId,
      origin: { kind: 'chat', chatId },
      lang: who.lang,
    });
  }

  /** GET /crm/:type/:id/templates: the card's phones, and each channel with its line's templates. */
  async forCard(who: Who, type: CardType, id: number) {
    const found = await cardRead(() => this.d.cards.phones(who.portalId, type, id, who.viewerToken));
    const phones = found.flatMap((p) => {
      const phone = normalisePhone(p.value);
      return phone ? [{ phone, display: p.value, type: p.valueType, owner: p.owner }] : [];
    });
    // The channels the viewer may send on (template-access.ts): all for admins.
    const scope = await this.d.send.access.scope(who.principal, 'use');
    const channels = (await this.d.repo.channels(who.portalId)).filter((c) =>
      TemplateAccess.includes(scope, c.id),
    );
    const out = [];
    for (const ch of channels) {
      const templates = ch.line_id === null ? [] : await this.d.repo.usable(ch.id, ch.line_id);
      out.push({
        id: ch.id,
        name: ch.name,
        sourceNumber: ch.source_number,
        lineId: ch.line_id,
        templates: templates.map(offered),
      });
    }
    return { phones, channels: out };
  }

  /** POST /crm/:type/:id/templates/send: the number is checked against the card before it goes. */
  async sendFromCard(
    who: Who,
    type: CardType,
    id: number,
    body: PickerSendBody & { channelId: string; phone: string },
  ): Promise<SendAccepted> {
    await this.d.send.assertMayUse(who.principal, body.channelId);
    return this.d.send.send({
      portalId: who.portalId,
      channelId: body.channelId,
      to: body.phone,
      templateId: body.templateId,
      params: body.params,
      mediaId: body.mediaId,
      clientKey: body.clientKey ? `crm:${body.clientKey}` : null,
      sentBy: who.userId,
      origin: { kind: 'crm', entityType: type, entityId: id },
      lang: who.lang,
    });
  }
}

/**
 * A card read a person waits on: Bitrix24 refusing it (no such record, or the viewer may not read
 * it) is a 404; Bitrix24 not answering is a 503.
 */
async function cardRead<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    if (err.retryable) {
      throw new AppError(
        'upstream_unavailable',
        'Bitrix24 is not answering right now; try again in a minute',
        503,
      );
    }
    throw new NotFoundError(`The CRM record cannot be read (${err.providerCode || 'refused'})`);
  }
}

/**
 * The offer in the window-closed note (messaging/notes.service.ts): the approved templates the line
 * offers, by name, and where the picker is; or that the line has none yet.
 */
export function windowClosedOffer(repo: Pick<TemplateSendRepository, 'namesForLine'>) {
  return async (m: { channel_id: string; channel_line: number | null }, lang: Lang): Promise<string> => {
    const names = await repo.namesForLine(m.channel_id, m.channel_line);
    if (names.length === 0) return sendText(lang, 'offer.none');
    const shown = names.slice(0, 10).map((n) => `«${n}»`);
    return sendText(lang, 'offer.list', {
      names: names.length > 10 ? `${shown.join(', ')}, …` : shown.join(', '),
    });
  };
}
