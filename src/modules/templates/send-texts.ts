import type { Lang } from '../../shared/i18n.js';
import type { SendIssue } from './template-send-rules.js';

/**
 * The words of sending templates, in es, en and pt: why a send is refused (one text per issue code,
 * `{name}` style values filled from the issue), the offer in the window-closed note, the record of a
 * sent template in the open-line chat, and the answer a workflow gets.
 */
type Entry = Record<Lang, string>;

const ISSUES: Record<string, Entry> = {
  template_not_found: {
    es: 'La plantilla no existe en este canal.',
    en: 'The template does not exist on this channel.',
    pt: 'O modelo não existe neste canal.',
  },
  template_not_approved: {
    es: 'La plantilla no está aprobada (estado: {status}).',
    en: 'The template is not approved (status: {status}).',
    pt: 'O modelo não está aprovado (status: {status}).',
  },
  template_inactive: {
    es: 'La plantilla está desactivada.',
    en: 'The template is switched off.',
    pt: 'O modelo está desativado.',
  },
  template_not_on_line: {
    es: 'La plantilla no está asignada a la línea de este chat.',
    en: 'The template is not assigned to this chat’s line.',
    pt: 'O modelo não está atribuído à linha deste chat.',
  },
  channel_not_found: {
    es: 'El canal no existe.',
    en: 'The channel does not exist.',
    pt: 'O canal não existe.',
  },
  channel_off: {
    es: 'El canal no está activo.',
    en: 'The channel is not active.',
    pt: 'O canal não está ativo.',
  },
  phone_invalid: {
    es: 'El número debe tener código de país y de 8 a 15 dígitos.',
    en: 'The number needs its country code and 8 to 15 digits.',
    pt: 'O número precisa do código do país e de 8 a 15 dígitos.',
  },
  phone_not_on_card: {
    es: 'Ese número no es de esta ficha del CRM.',
    en: 'That number is not on this CRM card.',
    pt: 'Esse número não é desta ficha do CRM.',
  },
  param_count: {
    es: 'La plantilla necesita {expected} parámetros.',
    en: 'The template needs {expected} parameters.',
    pt: 'O modelo precisa de {expected} parâmetros.',
  },
  param_unknown: {
    es: 'Este parámetro no es de la plantilla.',
    en: 'This parameter is not one of the template’s.',
    pt: 'Este parâmetro não é do modelo.',
  },
  param_empty: { es: 'Falta este parámetro.', en: 'This parameter is missing.', pt: 'Falta este parâmetro.' },
  param_too_long: {
    es: 'Demasiado largo (máximo {max} caracteres).',
    en: 'Too long (at most {max} characters).',
    pt: 'Longo demais (máximo de {max} caracteres).',
  },
  param_format: {
    es: 'WhatsApp no admite saltos de línea, tabulaciones ni más de cuatro espacios seguidos en un parámetro.',
    en: 'WhatsApp does not accept line breaks, tabs or more than four spaces in a row in a parameter.',
    pt: 'O WhatsApp não aceita quebras de linha, tabulações nem mais de quatro espaços seguidos num parâmetro.',
  },
  media_required: {
    es: 'Esta plantilla necesita el archivo de su encabezado ({kind}).',
    en: 'This template needs its header file ({kind}).',
    pt: 'Este modelo precisa do arquivo do cabeçalho ({kind}).',
  },
  media_not_expected: {
    es: 'Esta plantilla no lleva archivo en el encabezado.',
    en: 'This template has no header file.',
    pt: 'Este modelo não leva arquivo no cabeçalho.',
  },
  media_both: {
    es: 'Indique el archivo por mediaId o por mediaUrl, no ambos.',
    en: 'Give the file as mediaId or as mediaUrl, not both.',
    pt: 'Informe o arquivo por mediaId ou por mediaUrl, não ambos.',
  },
  media_not_found: {
    es: 'El archivo no existe (súbalo primero).',
    en: 'The file does not exist (upload it first).',
    pt: 'O arquivo não existe (envie-o primeiro).',
  },
  media_type: {
    es: 'Tipo de archivo no válido para esta plantilla ({kind}).',
    en: 'Wrong file type for this template ({kind}).',
    pt: 'Tipo de arquivo inválido para este modelo ({kind}).',
  },
  media_too_large: {
    es: 'El archivo supera el tamaño permitido.',
    en: 'The file is larger than allowed.',
    pt: 'O arquivo excede o tamanho permitido.',
  },
  media_url: {
    es: 'El enlace del archivo debe ser https:// o http:// público.',
    en: 'The file link must be a public https:// or http:// URL.',
    pt: 'O link do arquivo deve ser um URL público https:// ou http://.',
  },
  key_mismatch: {
    es: 'clientKey y el encabezado Idempotency-Key no coinciden.',
    en: 'clientKey and the Idempotency-Key header differ.',
    pt: 'clientKey e o cabeçalho Idempotency-Key são diferentes.',
  },
  read_only_role: {
    es: 'Su rol en este canal (control de calidad) no permite escribir.',
    en: 'Your role on this channel (quality control) does not allow writing.',
    pt: 'Sua função neste canal (controle de qualidade) não permite escrever.',
  },
};

const OTHER: Record<string, Entry> = {
  'offer.list': {
    es: 'Plantillas aprobadas de esta línea: {names}. Ábralas con «Plantillas WhatsApp» en el panel de aplicaciones del campo de texto del chat.',
    en: 'Approved templates of this line: {names}. Open them with “WhatsApp templates” in the apps panel of the chat’s text field.',
    pt: 'Modelos aprovados desta linha: {names}. Abra-os com “Modelos WhatsApp” no painel de aplicativos do campo de texto do chat.',
  },
  'offer.none': {
    es: 'Esta línea aún no tiene plantillas aprobadas: pida a un administrador que asigne una (aplicación WhatsApp → Plantillas).',
    en: 'This line has no approved template yet: ask an administrator to assign one (WhatsApp app → Templates).',
    pt: 'Esta linha ainda não tem modelos aprovados: peça a um administrador que atribua um (aplicativo WhatsApp → Modelos).',
  },
  'record.by_user': {
    es: 'plantilla «{name}» enviada por {who}',
    en: 'template “{name}” sent by {who}',
    pt: 'modelo “{name}” enviado por {who}',
  },
  'record.agent': {
    es: 'plantilla «{name}»',
    en: 'template “{name}”',
    pt: 'modelo “{name}”',
  },
  'record.by_api': {
    es: 'plantilla «{name}» enviada por la API',
    en: 'template “{name}” sent by the API',
    pt: 'modelo “{name}” enviado pela API',
  },
  'record.by_robot': {
    es: 'plantilla «{name}» enviada por una automatización',
    en: 'template “{name}” sent by automation',
    pt: 'modelo “{name}” enviado por uma automação',
  },
  'record.by_campaign': {
    es: 'plantilla «{name}» de la campaña «{campaign}»',
    en: 'template “{name}” of the campaign «{campaign}»',
    pt: 'modelo “{name}” da campanha «{campaign}»',
  },
  'robot.sent': {
    es: 'WhatsApp: plantilla enviada',
    en: 'WhatsApp: template sent',
    pt: 'WhatsApp: modelo enviado',
  },
  'robot.failed': {
    es: 'WhatsApp: plantilla no enviada: {reason}',
    en: 'WhatsApp: template not sent: {reason}',
    pt: 'WhatsApp: modelo não enviado: {reason}',
  },
  'robot.bad_input': {
    es: 'el robot no indica {what}',
    en: 'the automation rule does not give {what}',
    pt: 'a automação não informa {what}',
  },
};

function fill(text: string, values: Record<string, string | number> = {}): string {
  return text.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));
}

/** The words for one issue. */
export function issueText(lang: Lang, issue: Pick<SendIssue, 'code' | 'params'>): string {
  const e = ISSUES[issue.code];
  return e ? fill(e[lang], issue.params) : issue.code;
}

export function sendText(lang: Lang, key: string, values?: Record<string, string | number>): string {
  const e = OTHER[key];
  return e ? fill(e[lang], values) : key;
}

/** Every key of both tables, for the test that each has its three languages. */
export const SEND_TEXT_KEYS = { issues: Object.keys(ISSUES), other: Object.keys(OTHER) };
