import type { Lang } from '../../shared/i18n.js';
import type { SmsLength } from './ports.js';

/**
 * What the SMS module tells people (es, en, pt): refusals in the API's answers and in the SMS log,
 * and the chat note when a template went by SMS. `{name}` placeholders are filled in by `smsText`.
 */
const TEXTS = {
  token_missing: [
    'Falta el token de SMSAPI: ingréselo en los ajustes de SMS',
    'The SMSAPI token is missing: enter it in the SMS settings',
    'Falta o token da SMSAPI: informe-o nas configurações de SMS',
  ],
  token_reenter: [
    'Vuelva a ingresar el token de SMSAPI: el guardado no se puede abrir en esta instalación (¿base de datos copiada o clave de la aplicación cambiada?)',
    'Enter the SMSAPI token again: the stored one cannot be opened by this installation (database copied or app secret changed?)',
    'Informe o token da SMSAPI novamente: o salvo não pode ser aberto nesta instalação (banco de dados copiado ou chave do aplicativo alterada?)',
  ],
  token_rejected: ['SMSAPI rechazó el token', 'SMSAPI rejected the token', 'A SMSAPI recusou o token'],
  sender_missing: [
    'Elija un nombre de remitente aprobado en SMSAPI',
    'Choose a sender name approved in SMSAPI',
    'Escolha um nome de remetente aprovado na SMSAPI',
  ],
  sender_not_approved: [
    'El remitente «{sender}» no está aprobado en su cuenta SMSAPI',
    'The sender «{sender}» is not approved in your SMSAPI account',
    'O remetente «{sender}» não está aprovado na sua conta SMSAPI',
  ],
  smsapi_unavailable: [
    'SMSAPI no respondió; intente de nuevo',
    'SMSAPI did not answer; try again',
    'A SMSAPI não respondeu; tente novamente',
  ],
  consent_field_unknown: [
    'El campo «{field}» no es una casilla ni un indicador Sí/No de los contactos',
    'The field «{field}» is not a contact checkbox or Yes/No flag',
    'O campo «{field}» não é uma caixa de seleção nem um indicador Sim/Não dos contatos',
  ],
  send_failed: [
    'El SMS no se pudo enviar tras varios intentos (SMSAPI o Bitrix24 no respondieron)',
    'The SMS could not be sent after several attempts (SMSAPI or Bitrix24 did not answer)',
    'O SMS não pôde ser enviado após várias tentativas (a SMSAPI ou o Bitrix24 não responderam)',
  ],
  phone_invalid: ['El número no es válido', 'The number is not valid', 'O número não é válido'],
  country_not_allowed: [
    'Números de ese país no están permitidos en los ajustes de SMS',
    'Numbers of that country are not allowed in the SMS settings',
    'Números desse país não são permitidos nas configurações de SMS',
  ],
  no_consent: [
    'El cliente no dio consentimiento para SMS (campo {field} del contacto)',
    'The customer has not consented to SMS (contact field {field})',
    'O cliente não deu consentimento para SMS (campo {field} do contato)',
  ],
  no_contact: [
    'Ningún contacto del CRM tiene este número, no se puede comprobar el consentimiento para SMS',
    'No CRM contact has this number, so SMS consent cannot be checked',
    'Nenhum contato do CRM tem este número, o consentimento para SMS não pode ser verificado',
  ],
  too_long: [
    'Texto demasiado largo: {parts} partes de {perPart} caracteres ({encoding}), máximo {maxParts}',
    'Text too long: {parts} parts of {perPart} characters ({encoding}), at most {maxParts}',
    'Texto longo demais: {parts} partes de {perPart} caracteres ({encoding}), no máximo {maxParts}',
  ],
  no_points: [
    'La cuenta SMSAPI no tiene saldo (puntos) para este envío',
    'The SMSAPI account has no balance (points) for this send',
    'A conta SMSAPI não tem saldo (pontos) para este envio',
  ],
  smsapi_refused: [
    'SMSAPI rechazó el SMS (error {code})',
    'SMSAPI refused the SMS (error {code})',
    'A SMSAPI recusou o SMS (erro {code})',
  ],
  not_configured: [
    'El SMS no está configurado (token y remitente)',
    'SMS is not set up (token and sender)',
    'O SMS não está configurado (token e remetente)',
  ],
} as const satisfies Record<string, readonly [string, string, string]>;

export type SmsTextKey = keyof typeof TEXTS;

const INDEX: Record<Lang, 0 | 1 | 2> = { es: 0, en: 1, pt: 2 };

export function smsText(lang: Lang, key: SmsTextKey, vars: Record<string, string | number> = {}): string {
  return TEXTS[key][INDEX[lang]].replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export function isSmsTextKey(key: string): key is SmsTextKey {
  return Object.hasOwn(TEXTS, key);
}

/** The numbers of a refused length, for `too_long`. */
export function lengthVars(l: SmsLength): Record<string, string | number> {
  return { parts: l.parts, perPart: l.perPart, encoding: l.encoding, maxParts: l.maxParts };
}
