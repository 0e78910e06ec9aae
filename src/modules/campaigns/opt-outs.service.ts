import { FieldIssuesError, NotFoundError } from '../../shared/errors.js';
import type { Lang } from '../../shared/i18n.js';
import type { OptOut, OptOutAdded, Paged } from './campaign-model.js';
import { countryOfNumber, normalizeRecipientPhone } from '../notifications/phone.js';
import { isStopKeyword } from './list-lines.js';
import { listText } from './list-texts.js';
import type { OptOutsRepository } from './opt-outs.repository.js';

const PAGE = 50;

/** An inbound text as the messaging path hands it over (its number: E.164 digits without the plus). */
export interface InboundForOptOut {
  portalId: number;
  channelId: string;
  phoneDigits: string;
  text: string;
}

/**
 * Customers who asked not to get campaigns: marked by an admin, or by writing only a stop keyword
 * (STOP, BAJA, PARAR, SAIR, CANCELAR, UNSUBSCRIBE; case and accents folded). Lists refuse their
 * numbers (`opted_out`).
 */
export class OptOutsService {
  constructor(
    private readonly repo: OptOutsRepository,
    private readonly portalLang: (portalId: number) => Promise<Lang>,
  ) {}

  async list(portalId: number, search: string, page: number): Promise<Paged<OptOut>> {
    const { items, total } = await this.repo.list(portalId, search, PAGE, (page - 1) * PAGE);
    return {
      items: items.map((r) => ({
        phone: r.phone_e164,
        source: r.source,
        channelId: r.channel_id,
        createdBy: r.created_by,
        createdAt: r.created_at.toISOString(),
      })),
      total,
    };
  }

  async add(
    portalId: number,
    userId: number | null,
    phone: string,
    channelId?: string,
  ): Promise<OptOutAdded> {
    const source = await this.repo.channelNumber(portalId, channelId);
    if (channelId && !source) throw new NotFoundError('No such channel');
    const parsed = normalizeRecipientPhone(phone, {
      defaultCountry: (source && countryOfNumber(source)) || 'AR',
    });
    if (!parsed.ok) {
      const message = listText('phone_invalid_input', await this.portalLang(portalId));
      throw new FieldIssuesError('validation_error', [{ field: 'phone', code: 'phone_invalid', message }]);
    }
    const added = await this.repo.add([
      { portalId, phone: parsed.e164, source: 'manual', channelId: channelId ?? null, createdBy: userId },
    ]);
    return { phone: parsed.e164, added: added > 0 };
  }

  async remove(portalId: number, phone: string): Promise<void> {
    const digits = phone.replace(/\D/g, '');
    if (!digits || !(await this.repo.remove(portalId, `+${digits}`))) {
      throw new NotFoundError('Not on the list');
    }
  }

  /**
   * The inbound hook (messaging/inbound): of a batch of customer texts, those that are only a stop
   * keyword record an opt-out; nothing is read or written for the others. Idempotent (a number
   * already there keeps its record), so a retried delivery records it once.
   */
  async fromInbound(texts: InboundForOptOut[]): Promise<void> {
    const stops = texts.filter((t) => isStopKeyword(t.text) && /^[1-9]\d{6,14}$/.test(t.phoneDigits));
    if (stops.length === 0) return;
    await this.repo.add(
      stops.map((t) => ({
        portalId: t.portalId,
        phone: `+${t.phoneDigits}`,
        source: 'keyword' as const,
        channelId: t.channelId,
        createdBy: null,
      })),
    );
  }
}
