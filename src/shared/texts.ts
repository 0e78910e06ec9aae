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
  'error.title': {
    es: 'No se pudo completar',
    en: 'This could not be completed',
    pt: 'Não foi possível concluir',
  },
  'error.generic': {
    es: 'Algo falló de nuestro lado. Vuelva a intentarlo en un minuto.',
    en: 'Something failed on our side. Please try again in a minute.',
    pt: 'Algo falhou do nosso lado. Tente novamente em um minuto.',
  },
  'error.badAuth': {
    es: 'Esta página debe abrirse desde Bitrix24.',
    en: 'This page must be opened from Bitrix24.',
    pt: 'Esta página deve ser aberta a partir do Bitrix24.',
  },
  'error.reference': { es: 'Referencia', en: 'Reference', pt: 'Referência' },
  'app.title': { es: 'WhatsApp para Bitrix24', en: 'WhatsApp for Bitrix24', pt: 'WhatsApp para Bitrix24' },
  'app.channels': { es: 'Canales', en: 'Channels', pt: 'Canais' },
  'app.noChannels': { es: 'Todavía no hay canales.', en: 'No channels yet.', pt: 'Ainda não há canais.' },
  'app.line': { es: 'Canal abierto', en: 'Open channel', pt: 'Canal aberto' },
  'app.number': { es: 'Número', en: 'Number', pt: 'Número' },
  'app.status': { es: 'Estado', en: 'Status', pt: 'Status' },
  'status.pending': { es: 'Pendiente', en: 'Pending', pt: 'Pendente' },
  'status.active': { es: 'Activo', en: 'Active', pt: 'Ativo' },
  'status.interrupted': { es: 'Interrumpido', en: 'Interrupted', pt: 'Interrompido' },
  'status.inactive': { es: 'Inactivo', en: 'Inactive', pt: 'Inativo' },
  'connector.title': { es: 'Conector WhatsApp', en: 'WhatsApp connector', pt: 'Conector WhatsApp' },
  'connector.served': {
    es: 'Este canal abierto está atendido por',
    en: 'This open channel is served by',
    pt: 'Este canal aberto é atendido por',
  },
  'connector.none': {
    es: 'Ningún número de WhatsApp atiende este canal abierto todavía.',
    en: 'No WhatsApp number serves this open channel yet.',
    pt: 'Nenhum número de WhatsApp atende este canal aberto ainda.',
  },
};

export function t(lang: Lang, key: string): string {
  const entry = TEXTS[key];
  return entry?.[lang] ?? entry?.en ?? key;
}
