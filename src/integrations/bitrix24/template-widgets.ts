import { ProviderError } from '../../shared/errors.js';
import type { CallFn } from './bitrix24.connector.js';

/**
 * What the app adds to the portal at install for templates (C6): the template picker in open-line
 * chats, a tab on contact, lead and deal cards, and the automation rule "Send WhatsApp template".
 *
 * Chat placements (b24restdocs api-reference/widgets/im/*, apidocs.bitrix24.com widgets/im): the
 * handler gets `PLACEMENT_OPTIONS {"dialogId":"chat<ID>"}`. IM_TEXTAREA is the documented point "to
 * trigger an action while working with the current chat" (the apps panel of the input field), so
 * the picker lives there; IM_SIDEBAR (the chat sidebar's Applications block) opens the same page for
 * a longer look. Neither can be limited to open-line chats through a documented option, so the page
 * says so when the chat is not a WhatsApp conversation. CRM tabs (widgets/crm/detail-tab.md) get
 * `PLACEMENT_OPTIONS {"ID":"<id>"}`.
 *
 * Robot (reference bitrix24.md §5.9, b24restdocs bizproc-robot-add.md / -update.md): USE_SUBSCRIPTION
 * Y, so the workflow waits for `bizproc.event.send` with RETURN_PROPERTIES `sent`, `messageId`,
 * `error`. A robot already installed (a re-install) is updated with the new handler instead.
 */

export const TEMPLATE_ROBOT_CODE = 'whatsappb24_send_template';

export const CHAT_PLACEMENTS = ['IM_TEXTAREA', 'IM_SIDEBAR'] as const;
export const CRM_PLACEMENTS = [
  'CRM_CONTACT_DETAIL_TAB',
  'CRM_LEAD_DETAIL_TAB',
  'CRM_DEAL_DETAIL_TAB',
] as const;

export interface TemplateWidgetUrls {
  chatPicker: string;
  crmCard: string;
  robotHandler: string;
}

type Localized = { es: string; en: string; pt: string };

const CHAT_TITLE: Localized = { es: 'Plantillas WhatsApp', en: 'WhatsApp templates', pt: 'Modelos WhatsApp' };
const CRM_TITLE: Localized = { es: 'WhatsApp', en: 'WhatsApp', pt: 'WhatsApp' };

function langAll(title: Localized): Record<string, { TITLE: string }> {
  return {
    es: { TITLE: title.es },
    la: { TITLE: title.es },
    en: { TITLE: title.en },
    br: { TITLE: title.pt },
  };
}

const prop = (name: Localized, type: string, extra: Record<string, unknown> = {}) => ({
  Name: name,
  Type: type,
  ...extra,
});

/** The robot's fields (bizproc.robot.add / FIELDS of bizproc.robot.update). */
export function robotFields(handler: string): Record<string, unknown> {
  return {
    HANDLER: handler,
    USE_SUBSCRIPTION: 'Y',
    NAME: {
      es: 'Enviar plantilla de WhatsApp',
      en: 'Send WhatsApp template',
      pt: 'Enviar modelo do WhatsApp',
    },
    DESCRIPTION: {
      es: 'Envía una plantilla aprobada al número indicado',
      en: 'Sends an approved template to the given number',
      pt: 'Envia um modelo aprovado ao número indicado',
    },
    PROPERTIES: {
      channel: prop(
        {
          es: 'Número de WhatsApp (canal)',
          en: 'WhatsApp number (channel)',
          pt: 'Número do WhatsApp (canal)',
        },
        'string',
        { Required: 'Y' },
      ),
      template: prop({ es: 'Plantilla (nombre)', en: 'Template (name)', pt: 'Modelo (nome)' }, 'string', {
        Required: 'Y',
      }),
      phone: prop({ es: 'Teléfono del cliente', en: 'Customer phone', pt: 'Telefone do cliente' }, 'string', {
        Required: 'Y',
      }),
      params: prop(
        { es: 'Parámetros, en orden', en: 'Parameters, in order', pt: 'Parâmetros, em ordem' },
        'string',
        { Multiple: 'Y' },
      ),
      mediaUrl: prop(
        {
          es: 'Enlace del archivo del encabezado',
          en: 'Header file link',
          pt: 'Link do arquivo do cabeçalho',
        },
        'string',
      ),
    },
    RETURN_PROPERTIES: {
      sent: prop({ es: 'Enviada', en: 'Sent', pt: 'Enviado' }, 'bool'),
      messageId: prop({ es: 'Id del mensaje', en: 'Message id', pt: 'Id da mensagem' }, 'string'),
      error: prop({ es: 'Motivo del fallo', en: 'Failure reason', pt: 'Motivo da falha' }, 'string'),
    },
    FILTER: {
      INCLUDE: [
        ['crm', 'CCrmDocumentDeal'],
        ['crm', 'CCrmDocumentLead'],
      ],
    },
  };
}

const code = (err: unknown) => (err instanceof ProviderError ? (err.providerCode ?? '') : '');

/**
 * Binds the placements and installs (or updates) the robot. One that Bitrix24 refuses for good is
 * reported, not thrown: the connector works without them. Passing faults (rate limit, outage) throw.
 */
export async function installTemplateWidgets(call: CallFn, urls: TemplateWidgetUrls): Promise<string[]> {
  const refused: string[] = [];
  const bind = async (placement: string, handler: string, title: Localized) => {
    try {
      await call('placement.bind', {
        PLACEMENT: placement,
        HANDLER: handler,
        TITLE: title.en,
        LANG_ALL: langAll(title),
      });
    } catch (err) {
      if (!(err instanceof ProviderError) || err.retryable) throw err;
      if (/EXIST/i.test(code(err))) return;
      refused.push(`${placement}: ${code(err) || err.message}`);
    }
  };
  for (const p of CHAT_PLACEMENTS) await bind(p, urls.chatPicker, CHAT_TITLE);
  for (const p of CRM_PLACEMENTS) await bind(p, urls.crmCard, CRM_TITLE);
  try {
    await installRobot(call, urls.robotHandler);
  } catch (err) {
    if (!(err instanceof ProviderError) || err.retryable) throw err;
    refused.push(`bizproc.robot.add: ${code(err) || err.message}`);
  }
  return refused;
}

async function installRobot(call: CallFn, handler: string): Promise<void> {
  const fields = robotFields(handler);
  try {
    await call('bizproc.robot.add', { CODE: TEMPLATE_ROBOT_CODE, ...fields });
  } catch (err) {
    if (code(err) !== 'ERROR_ACTIVITY_ALREADY_INSTALLED') throw err;
    await call('bizproc.robot.update', { CODE: TEMPLATE_ROBOT_CODE, FIELDS: fields });
  }
}
