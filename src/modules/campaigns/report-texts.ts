import type { Lang } from '../../shared/i18n.js';
import { issueText } from '../templates/send-texts.js';

/**
 * The words of campaigns' sending side in es, en and pt: why a state change is refused (409), and
 * what each failure code of the report means (the templates send service's own codes are worded by
 * templates/send-texts.ts; Gupshup's and Meta's from reference gupshup.md §8).
 */
type Entry = Record<Lang, string>;

const CONFLICTS: Record<string, Entry> = {
  not_draft: {
    es: 'Solo una campaña en borrador se puede modificar (estado: {status}).',
    en: 'Only a draft campaign can be changed (status: {status}).',
    pt: 'Só uma campanha em rascunho pode ser alterada (status: {status}).',
  },
  illegal_transition: {
    es: 'Una campaña en estado «{status}» no se puede {action}.',
    en: 'A campaign that is “{status}” cannot be {action}.',
    pt: 'Uma campanha no status “{status}” não pode ser {action}.',
  },
  not_deletable: {
    es: 'Solo se borran campañas en borrador, terminadas o canceladas (estado: {status}).',
    en: 'Only draft, finished or cancelled campaigns can be deleted (status: {status}).',
    pt: 'Só campanhas em rascunho, concluídas ou canceladas podem ser excluídas (status: {status}).',
  },
  list_not_ready: {
    es: 'La lista de destinatarios no está lista (estado: {list}).',
    en: 'The recipient list is not ready (status: {list}).',
    pt: 'A lista de destinatários não está pronta (status: {list}).',
  },
  list_empty: {
    es: 'La lista no tiene filas válidas para enviar.',
    en: 'The list has no valid rows to send.',
    pt: 'A lista não tem linhas válidas para enviar.',
  },
  template_paused: {
    es: 'WhatsApp pausó la plantilla de la campaña.',
    en: 'WhatsApp paused the campaign’s template.',
    pt: 'O WhatsApp pausou o modelo da campanha.',
  },
};

const ACTIONS: Record<string, Entry> = {
  start: { es: 'iniciar', en: 'started', pt: 'iniciada' },
  pause: { es: 'pausar', en: 'paused', pt: 'pausada' },
  resume: { es: 'reanudar', en: 'resumed', pt: 'retomada' },
  cancel: { es: 'cancelar', en: 'cancelled', pt: 'cancelada' },
};

const FAILURES: Record<string, Entry> = {
  opted_out: {
    es: 'El cliente pidió no recibir campañas.',
    en: 'The customer asked not to get campaigns.',
    pt: 'O cliente pediu para não receber campanhas.',
  },
  cancelled: {
    es: 'La campaña se canceló antes del envío.',
    en: 'The campaign was cancelled before the send.',
    pt: 'A campanha foi cancelada antes do envio.',
  },
  '1002': {
    es: 'El número no tiene WhatsApp.',
    en: 'The number is not on WhatsApp.',
    pt: 'O número não tem WhatsApp.',
  },
  '1003': {
    es: 'Saldo de Gupshup insuficiente.',
    en: 'The Gupshup wallet is empty.',
    pt: 'Saldo do Gupshup insuficiente.',
  },
  '1012': {
    es: 'El número se dio de baja.',
    en: 'The number opted out.',
    pt: 'O número cancelou a inscrição.',
  },
  '1013': {
    es: 'El número no existe en WhatsApp.',
    en: 'The number does not exist on WhatsApp.',
    pt: 'O número não existe no WhatsApp.',
  },
  '4001': {
    es: 'Gupshup limitó el envío (4001): la campaña se pausó.',
    en: 'Gupshup rate-limited the sends (4001): the campaign was paused.',
    pt: 'O Gupshup limitou os envios (4001): a campanha foi pausada.',
  },
  '4005': { es: 'Plantilla pausada.', en: 'Template paused.', pt: 'Modelo pausado.' },
  '132015': { es: 'Plantilla pausada.', en: 'Template paused.', pt: 'Modelo pausado.' },
  '131026': {
    es: 'WhatsApp no pudo entregar el mensaje.',
    en: 'WhatsApp could not deliver the message.',
    pt: 'O WhatsApp não conseguiu entregar a mensagem.',
  },
  '131049': {
    es: 'WhatsApp limitó el marketing a este cliente; intente en 24 h.',
    en: 'WhatsApp capped marketing to this customer; try again in 24 h.',
    pt: 'O WhatsApp limitou o marketing a este cliente; tente em 24 h.',
  },
  '131050': {
    es: 'El cliente dejó de aceptar marketing.',
    en: 'The customer stopped marketing messages.',
    pt: 'O cliente deixou de aceitar marketing.',
  },
};

const OTHER: Entry = {
  es: 'Error {code} de Gupshup o WhatsApp.',
  en: 'Gupshup or WhatsApp error {code}.',
  pt: 'Erro {code} do Gupshup ou WhatsApp.',
};

function fill(text: string, values: Record<string, string | number> = {}): string {
  return text.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));
}

export function conflictText(lang: Lang, code: string, values: Record<string, string> = {}): string {
  const action = values.action ? (ACTIONS[values.action]?.[lang] ?? values.action) : '';
  const e = CONFLICTS[code];
  if (e) return fill(e[lang], { ...values, action });
  return issueText(lang, { code });
}

/** A failure code in words: ours, the send service's, Gupshup's or Meta's. */
export function failureText(lang: Lang, code: string, params: Record<string, string | number> = {}): string {
  const e = FAILURES[code];
  if (e) return e[lang];
  const known = issueText(lang, { code, params });
  return known !== code ? known : fill(OTHER[lang], { code });
}

export const REPORT_TEXT_KEYS = { conflicts: Object.keys(CONFLICTS), failures: Object.keys(FAILURES) };
