import type { Lang } from './i18n.js';

/** UI texts in the three languages. A missing key falls back to English, then to the key itself. */
const TEXTS: Record<string, Record<Lang, string>> = {
  'install.title': {
    es: 'WhatsApp conectado a Bitrix24',
    en: 'WhatsApp connected to Bitrix24',
    pt: 'WhatsApp conectado ao Bitrix24',
  },
  'install.done': {
    es: 'La aplicación está instalada: el conector WhatsApp ya aparece en el Contact Center.',
    en: 'The app is installed: the WhatsApp connector now shows in the Contact Center.',
    pt: 'O aplicativo está instalado: o conector WhatsApp já aparece no Contact Center.',
  },
  'install.next': {
    es: 'Siguiente paso: conecte un número de WhatsApp a un canal abierto.',
    en: 'Next step: connect a WhatsApp number to an open channel.',
    pt: 'Próximo passo: conecte um número de WhatsApp a um canal aberto.',
  },
  'app.title': { es: 'WhatsApp para Bitrix24', en: 'WhatsApp for Bitrix24', pt: 'WhatsApp para Bitrix24' },
  'note.not_on_whatsapp': {
    es: 'Este número no está en WhatsApp (código {code}). El mensaje no llegó; contacte al cliente por otro medio.',
    en: 'This number is not on WhatsApp (code {code}). The message did not arrive; reach the customer another way.',
    pt: 'Este número não está no WhatsApp (código {code}). A mensagem não chegou; contate o cliente por outro meio.',
  },
  'note.sms_sent': {
    es: 'Este número no está en WhatsApp; la plantilla se envió por SMS.',
    en: 'This number is not on WhatsApp; the template was sent by SMS instead.',
    pt: 'Este número não está no WhatsApp; o modelo foi enviado por SMS.',
  },
  'note.sms_failed': {
    es: 'Este número no está en WhatsApp y el SMS de respaldo tampoco salió; contacte al cliente por otro medio.',
    en: 'This number is not on WhatsApp and the fallback SMS did not go either; reach the customer another way.',
    pt: 'Este número não está no WhatsApp e o SMS de reserva também não saiu; contate o cliente por outro meio.',
  },
  'note.window_closed': {
    es: 'No enviado: pasaron más de 24 horas desde el último mensaje del cliente ({code}). Solo una plantilla aprobada puede reabrir la conversación.',
    en: 'Not sent: more than 24 hours have passed since the customer last wrote ({code}). Only an approved template can reopen the conversation.',
    pt: 'Não enviado: passaram mais de 24 horas desde a última mensagem do cliente ({code}). Só um modelo aprovado pode reabrir a conversa.',
  },
  'note.wallet_empty': {
    es: 'No enviado: el saldo de WhatsApp (Gupshup) está agotado ({code}). Pida al administrador que lo recargue.',
    en: 'Not sent: the WhatsApp (Gupshup) wallet is empty ({code}). Ask the administrator to top it up.',
    pt: 'Não enviado: o saldo do WhatsApp (Gupshup) acabou ({code}). Peça ao administrador para recarregá-lo.',
  },
  'note.bad_api_key': {
    es: 'No enviado: Gupshup rechazó la clave de API del canal ({code}). El administrador debe revisar la configuración del canal.',
    en: 'Not sent: Gupshup rejected the channel’s API key ({code}). The administrator must check the channel settings.',
    pt: 'Não enviado: o Gupshup recusou a chave de API do canal ({code}). O administrador deve revisar a configuração do canal.',
  },
  'note.could_not_send': {
    es: 'No se pudo entregar este mensaje por WhatsApp (código {code}). Puede reenviarlo desde el registro de mensajes.',
    en: 'This message could not be delivered on WhatsApp (code {code}). It can be resent from the message log.',
    pt: 'Não foi possível entregar esta mensagem pelo WhatsApp (código {code}). Ela pode ser reenviada pelo registro de mensagens.',
  },
  'note.file_too_large': {
    es: 'Archivo no enviado: supera el tamaño que WhatsApp admite (hasta 100 MB como documento). Envíe un archivo más pequeño o un enlace.',
    en: 'File not sent: it is larger than WhatsApp accepts (up to 100 MB as a document). Send a smaller file or a link.',
    pt: 'Arquivo não enviado: é maior do que o WhatsApp aceita (até 100 MB como documento). Envie um arquivo menor ou um link.',
  },
  'note.file_unsupported': {
    es: 'Archivo no enviado: no se pudo leer desde Bitrix24 como un archivo que WhatsApp pueda enviar ({code}).',
    en: 'File not sent: it could not be read from Bitrix24 as a file WhatsApp can send ({code}).',
    pt: 'Arquivo não enviado: não foi possível lê-lo do Bitrix24 como um arquivo que o WhatsApp possa enviar ({code}).',
  },
  'note.file_unavailable': {
    es: 'Archivo no enviado: no se pudo descargar desde Bitrix24 ({code}). Vuelva a adjuntarlo.',
    en: 'File not sent: it could not be downloaded from Bitrix24 ({code}). Attach it again.',
    pt: 'Arquivo não enviado: não foi possível baixá-lo do Bitrix24 ({code}). Anexe-o novamente.',
  },
  'billing.low_balance': {
    es: 'WhatsApp: quedan {available} mensajes, menos que el umbral de {threshold}. Compre un paquete en la pestaña Facturación de la aplicación.',
    en: 'WhatsApp: {available} messages left, below the threshold of {threshold}. Buy a pack in the app’s Billing tab.',
    pt: 'WhatsApp: restam {available} mensagens, menos que o limite de {threshold}. Compre um pacote na aba Cobrança do aplicativo.',
  },
  'note.no_message_units': {
    es: 'No quedan mensajes: este mensaje queda retenido y se enviará cuando haya saldo. Pida al administrador de facturación que compre un paquete.',
    en: 'No messages left: this message is held and will be sent when there is balance again. Ask your billing admin to buy a pack.',
    pt: 'Não restam mensagens: esta mensagem fica retida e será enviada quando houver saldo. Peça ao administrador de cobrança que compre um pacote.',
  },
  'note.hold_expired': {
    es: 'No enviado: no quedaban mensajes y no llegó saldo a tiempo ({code}). Tras la compra de un paquete puede reenviarlo desde el registro de mensajes.',
    en: 'Not sent: no messages were left and none were credited in time ({code}). Once a pack is bought it can be resent from the message log.',
    pt: 'Não enviada: não restavam mensagens e nenhum saldo chegou a tempo ({code}). Após a compra de um pacote ela pode ser reenviada pelo registro de mensagens.',
  },
  'note.edit_after_send': {
    es: 'El cliente conserva la versión original: WhatsApp no permite editar un mensaje ya enviado. Si hace falta, envíe una corrección.',
    en: 'The customer keeps the original: WhatsApp does not allow editing a message already sent. Send a correction if needed.',
    pt: 'O cliente mantém a versão original: o WhatsApp não permite editar uma mensagem já enviada. Envie uma correção, se necessário.',
  },
  'note.delete_after_send': {
    es: 'El mensaje sigue en el WhatsApp del cliente: WhatsApp no permite borrar un mensaje ya enviado.',
    en: 'The message is still on the customer’s WhatsApp: WhatsApp does not allow deleting a message already sent.',
    pt: 'A mensagem continua no WhatsApp do cliente: o WhatsApp não permite apagar uma mensagem já enviada.',
  },
  'note.template_paused': {
    es: 'Plantilla no enviada: WhatsApp la puso en pausa por su calidad ({code}). Use otra plantilla o espere a que se reactive.',
    en: 'Template not sent: WhatsApp paused it for its quality ({code}). Use another template or wait until it is active again.',
    pt: 'Modelo não enviado: o WhatsApp o pausou pela qualidade ({code}). Use outro modelo ou aguarde até que volte a ficar ativo.',
  },
  'note.template_disabled': {
    es: 'Plantilla no enviada: WhatsApp la desactivó ({code}). Use otra plantilla.',
    en: 'Template not sent: WhatsApp disabled it ({code}). Use another template.',
    pt: 'Modelo não enviado: o WhatsApp o desativou ({code}). Use outro modelo.',
  },
  'note.template_unusable': {
    es: 'Plantilla no enviada: ya no está aprobada o no coincide con la aprobada ({code}). Revise la plantilla en la aplicación.',
    en: 'Template not sent: it is no longer approved or does not match the approved one ({code}). Check the template in the app.',
    pt: 'Modelo não enviado: não está mais aprovado ou não corresponde ao aprovado ({code}). Revise o modelo no aplicativo.',
  },
  'note.template_media': {
    es: 'Plantilla no enviada: el archivo del encabezado falta o no es del tipo de la plantilla ({code}).',
    en: 'Template not sent: the header file is missing or not of the template’s type ({code}).',
    pt: 'Modelo não enviado: o arquivo do cabeçalho falta ou não é do tipo do modelo ({code}).',
  },
  'media.unavailable': {
    es: 'No se pudo descargar el archivo que envió el cliente ({reason}).',
    en: 'The file the customer sent could not be downloaded ({reason}).',
    pt: 'Não foi possível baixar o arquivo que o cliente enviou ({reason}).',
  },
};

export function t(lang: Lang, key: string): string {
  const entry = TEXTS[key];
  return entry?.[lang] ?? entry?.en ?? key;
}

/** Marks the notes the app writes into open-line chats, so one that comes back as an event is not sent. */
export const NOTE_MARK = '⚠️ WhatsApp:';
/** Marks the record of a sent template in its open-line chat (templates/template-followups.ts), likewise. */
export const RECORD_MARK = '📤 WhatsApp:';

const NOTE_BY_CODE: Record<string, string> = {
  '1002': 'not_on_whatsapp',
  '1013': 'not_on_whatsapp',
  '131026': 'not_on_whatsapp',
  // A template that went by SMS instead (sms/fallback.ts), or whose SMS did not go either.
  sms_sent: 'sms_sent',
  sms_failed: 'sms_failed',
  '470': 'window_closed',
  '131047': 'window_closed',
  '1004': 'window_closed',
  '1005': 'window_closed',
  '1006': 'window_closed',
  '1007': 'window_closed',
  '1008': 'window_closed',
  window_closed: 'window_closed',
  '1003': 'wallet_empty',
  '401': 'bad_api_key',
  file_too_large: 'file_too_large',
  file_unsupported: 'file_unsupported',
  file_unavailable: 'file_unavailable',
  no_message_units: 'no_message_units',
  hold_expired: 'hold_expired',
  edit_after_send: 'edit_after_send',
  delete_after_send: 'delete_after_send',
  // Templates (reference gupshup.md §8): paused or disabled by Meta, or not usable as sent.
  '4005': 'template_paused',
  '132015': 'template_paused',
  template_paused: 'template_paused',
  '132016': 'template_disabled',
  template_disabled: 'template_disabled',
  '4003': 'template_unusable',
  '132000': 'template_unusable',
  '132001': 'template_unusable',
  '132012': 'template_unusable',
  template_rejected: 'template_unusable',
  template_deleted: 'template_unusable',
  template_inactive: 'template_unusable',
  template_not_approved: 'template_unusable',
  header_media_missing: 'template_media',
  header_media_invalid: 'template_media',
};

/** Whether a failure code means WhatsApp's 24-hour window is closed (its note offers the templates). */
export function isWindowClosed(code: string): boolean {
  return NOTE_BY_CODE[code] === 'window_closed';
}

/** The system note shown to the agent in the chat when a message fails, in the portal's language. */
export function failureNote(lang: Lang, code: string): string {
  const key = `note.${NOTE_BY_CODE[code] ?? 'could_not_send'}`;
  return `${NOTE_MARK} ${t(lang, key).replace('{code}', code)}`;
}
