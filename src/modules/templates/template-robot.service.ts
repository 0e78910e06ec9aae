import { createHash } from 'node:crypto';
import { TEMPLATE_ROBOT_CODE } from '../../integrations/bitrix24/template-widgets.js';
import type { RobotCall } from '../../integrations/bitrix24/robot.js';
import { AppError, ValidationError } from '../../shared/errors.js';
import { toLang, type Lang } from '../../shared/i18n.js';
import { issueText, sendText } from './send-texts.js';
import { firstPhone, normalisePhone } from './template-send-rules.js';
import type { TemplateSendRepository } from './template-send.repository.js';
import type { TemplateSendService } from './template-send.service.js';

/**
 * The automation rule "Send WhatsApp template" (C6, reference bitrix24.md §5.9). Its handler has
 * checked who calls (application token and member id, like every event); here the call becomes a
 * template send, idempotent by the workflow's event token, so a repeated call sends nothing new.
 * A call whose values cannot be used (no such channel or template, no number) is not an HTTP error:
 * the workflow waits for an answer, so it gets one (`template.robot`: not sent, and why).
 */

export interface RobotAccepted {
  ok: true;
  messageId?: number;
  refused?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TemplateRobotService {
  constructor(
    private readonly d: { repo: TemplateSendRepository; send: TemplateSendService; nudge: () => void },
  ) {}

  async accept(portal: { id: number; lang: string }, call: RobotCall): Promise<RobotAccepted> {
    if (call.code !== TEMPLATE_ROBOT_CODE) throw new ValidationError(`Unknown automation rule ${call.code}`);
    const lang = toLang(portal.lang);
    const key = createHash('sha256').update(call.eventToken).digest('hex').slice(0, 40);
    const target = await this.#resolve(portal.id, call, lang);
    if ('refused' in target) return this.#refuse(portal.id, key, call.eventToken, target.refused, lang);
    try {
      const r = await this.d.send.send({
        portalId: portal.id,
        channelId: target.channelId,
        to: target.phone,
        templateId: target.templateId,
        params: paramsOf(call.properties.params),
        mediaUrl: call.properties.mediaUrl || undefined,
        clientKey: `robot:${key}`,
        sentBy: null,
        origin: {
          kind: 'robot',
          eventToken: call.eventToken,
          workflowId: call.workflowId,
          document: call.document,
        },
        lang,
      });
      return { ok: true, messageId: r.messageId };
    } catch (err) {
      // Refused for a reason the rule's author can fix: the workflow hears it; anything else is ours.
      if (err instanceof AppError && err.httpStatus < 500 && err.httpStatus !== 409) {
        return this.#refuse(portal.id, key, call.eventToken, err.message, lang);
      }
      throw err;
    }
  }

  async #refuse(
    portalId: number,
    key: string,
    eventToken: string,
    reason: string,
    lang: Lang,
  ): Promise<RobotAccepted> {
    if (await this.d.repo.queueRobotRefusal(portalId, key, { eventToken, reason, lang })) this.d.nudge();
    return { ok: true, refused: reason };
  }

  /** The channel (id, number or name), the template (id or name) and the number the rule gave. */
  async #resolve(portalId: number, call: RobotCall, lang: Lang) {
    const p = call.properties;
    const missing = (what: string) => ({ refused: sendText(lang, 'robot.bad_input', { what }) });
    if (!p.channel) return missing('channel');
    if (!p.template) return missing('template');
    const channels = await this.d.repo.channels(portalId);
    const digits = normalisePhone(p.channel);
    const channel = channels.find(
      (c) =>
        c.id === p.channel.toLowerCase() ||
        (digits !== null && c.source_number === digits) ||
        c.name.toLowerCase() === p.channel.toLowerCase(),
    );
    if (!channel) return { refused: issueText(lang, { code: 'channel_not_found' }) };
    const templateId = UUID.test(p.template)
      ? p.template.toLowerCase()
      : await this.#byName(channel.id, p.template, lang);
    if (!templateId) return { refused: issueText(lang, { code: 'template_not_found' }) };
    const phone = firstPhone(p.phone);
    if (!phone) return { refused: issueText(lang, { code: 'phone_invalid' }) };
    return { channelId: channel.id, templateId, phone };
  }

  /** `name` or `name:language`; of several languages, the portal's own first. */
  async #byName(channelId: string, raw: string, lang: Lang): Promise<string | undefined> {
    const [name = '', language] = raw.split(':');
    const rows = await this.d.repo.byName(channelId, name.trim());
    const wanted = language?.trim().toLowerCase();
    if (wanted) return rows.find((r) => r.language.toLowerCase() === wanted)?.id;
    return (rows.find((r) => r.language.toLowerCase().startsWith(lang)) ?? rows[0])?.id;
  }
}

/** The rule's parameters in order; one value with `|` in it is several (a single-line field). */
function paramsOf(values: string[]): string[] {
  const one = values.length === 1 ? values[0] : undefined;
  if (one !== undefined && one.includes('|')) return one.split('|').map((v) => v.trim());
  return values.map((v) => v.trim());
}
