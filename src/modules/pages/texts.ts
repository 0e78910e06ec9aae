import type { Lang } from '../../shared/i18n.js';
import { BILLING_TEXTS, OPERATOR_TEXTS } from './billing-texts.js';
import { OPERATOR_NOTIFICATION_TEXTS } from './operator-notifications-texts.js';
import { CODE_TEXTS } from './code-texts.js';
import { HEALTH_TEXTS } from './health-texts.js';
import { NOTIFICATION_TEXTS } from './notifications-texts.js';
import { PICKER_TEXTS } from './picker-texts.js';
import { SMS_TEXTS } from './sms-texts.js';
import { CAMPAIGN_TEXTS } from './campaigns-texts.js';
import { TEMPLATE_TEXTS } from './templates-texts.js';
import { LEVEL_TEXTS, MESSAGE_STATUS_TEXTS, REASON_TEXTS, STEP_TEXTS } from './relay-texts.js';

/**
 * Texts of the admin pages (the iframe UI), in the three languages. Kept apart from shared/texts.ts
 * (chat notes, install page). The whole dictionary of one language is handed to the page's script as
 * JSON; the script's keys are checked against this one at compile time (`UiTextKey`). The health
 * strip's texts and those of every code the pages show are in health-texts.ts, relay-texts.ts and
 * code-texts.ts.
 */
type Entry = [es: string, en: string, pt: string];

const UI = {
  'app.title': ['WhatsApp para Bitrix24', 'WhatsApp for Bitrix24', 'WhatsApp para Bitrix24'],
  'tab.channels': ['Canales', 'Channels', 'Canais'],
  'tab.roles': ['Roles', 'Roles', 'Funções'],
  'tab.templates': ['Plantillas', 'Templates', 'Modelos'],
  'tab.trace': ['Registro', 'Message log', 'Registro'],
  'tab.settings': ['Ajustes', 'Settings', 'Configurações'],
  'tab.billing': ['Facturación', 'Billing', 'Faturamento'],
  'common.loading': ['Cargando…', 'Loading…', 'Carregando…'],
  'common.save': ['Guardar', 'Save', 'Salvar'],
  'common.cancel': ['Cancelar', 'Cancel', 'Cancelar'],
  'common.apply': ['Aplicar', 'Apply', 'Aplicar'],
  'common.confirm': ['Confirmar', 'Confirm', 'Confirmar'],
  'common.close': ['Cerrar', 'Close', 'Fechar'],
  'common.edit': ['Editar', 'Edit', 'Editar'],
  'common.delete': ['Eliminar', 'Delete', 'Excluir'],
  'common.copy': ['Copiar', 'Copy', 'Copiar'],
  'common.copied': ['Copiado', 'Copied', 'Copiado'],
  'common.all': ['Todos', 'All', 'Todos'],
  'common.none': ['—', '—', '—'],
  'common.search': ['Buscar', 'Search', 'Buscar'],
  'common.more': ['Cargar más', 'Load more', 'Carregar mais'],
  'common.yes': ['Sí', 'Yes', 'Sim'],
  'common.no': ['No', 'No', 'Não'],
  'common.notAvailable': [
    'No disponible con una clave de API',
    'Not available with an API key',
    'Não disponível com uma chave de API',
  ],
  'common.saved': ['Cambios guardados.', 'Changes saved.', 'Alterações salvas.'],
  'common.adminOnly': [
    'Solo un administrador del portal puede hacer cambios aquí.',
    'Only a portal administrator can make changes here.',
    'Só um administrador do portal pode fazer alterações aqui.',
  ],
  'common.expired': [
    'La sesión de Bitrix24 expiró: vuelva a abrir la aplicación.',
    'The Bitrix24 session expired: open the app again.',
    'A sessão do Bitrix24 expirou: abra o aplicativo novamente.',
  ],
  'common.forbidden': [
    'Su rol no le permite ver ni hacer esto. Un administrador del portal puede asignarle un rol.',
    'Your role does not allow this. A portal administrator can give you a role.',
    'Sua função não permite isto. Um administrador do portal pode atribuir uma função a você.',
  ],
  'status.pending': ['Pendiente', 'Pending', 'Pendente'],
  'status.active': ['Activo', 'Active', 'Ativo'],
  'status.interrupted': ['Interrumpido', 'Interrupted', 'Interrompido'],
  'status.inactive': ['Inactivo', 'Inactive', 'Inativo'],
  'status.deleted': ['Eliminado', 'Deleted', 'Excluído'],
  'status.requested': [
    'Pendiente (número solicitado)',
    'Pending (number requested)',
    'Pendente (número solicitado)',
  ],
  'ch.filterStatus': ['Estado', 'Status', 'Status'],
  'ch.filterLine': ['Canal abierto', 'Open channel', 'Canal aberto'],
  'ch.name': ['Nombre', 'Name', 'Nome'],
  'ch.company': [
    'Empresa (perfil de WhatsApp)',
    'Company (WhatsApp profile)',
    'Empresa (perfil do WhatsApp)',
  ],
  'ch.channel': ['Canal', 'Channel', 'Canal'],
  'ch.line': ['Canal abierto', 'Open channel', 'Canal aberto'],
  'ch.status': ['Estado', 'Status', 'Status'],
  'ch.paidUntil': ['Pagado hasta', 'Paid until', 'Pago até'],
  'ch.sub.paid': ['al día', 'paid', 'em dia'],
  'ch.sub.trial': ['prueba', 'trial', 'teste'],
  'ch.sub.expired': ['vencida', 'expired', 'vencida'],
  'ch.active': ['Activo', 'Active', 'Ativo'],
  'ch.empty': [
    'Todavía no hay canales. Conecte una app de Gupshup o solicite un número nuevo.',
    'No channels yet. Connect a Gupshup app or request a new number.',
    'Ainda não há canais. Conecte um app do Gupshup ou solicite um número novo.',
  ],
  'ch.connect': ['Conectar app de Gupshup', 'Connect a Gupshup app', 'Conectar app do Gupshup'],
  'ch.request': ['Solicitar número nuevo', 'Request a new number', 'Solicitar número novo'],
  'ch.appName': ['Nombre de la app en Gupshup', 'Gupshup app name', 'Nome do app no Gupshup'],
  'ch.appId': ['ID de la app (Gupshup)', 'App ID (Gupshup)', 'ID do app (Gupshup)'],
  'ch.apiKey': ['Clave de API', 'API key', 'Chave de API'],
  'ch.apiKeyKeep': [
    'Déjela vacía para conservar la actual',
    'Leave empty to keep the current one',
    'Deixe vazia para manter a atual',
  ],
  'ch.waba': ['ID de WABA (opcional)', 'WABA ID (optional)', 'ID da WABA (opcional)'],
  'ch.sourceNumber': ['Número con código de país', 'Number with country code', 'Número com código do país'],
  'ch.verifyNote': [
    'La clave se comprueba con Gupshup antes de guardar.',
    'The key is checked with Gupshup before saving.',
    'A chave é verificada no Gupshup antes de salvar.',
  ],
  'ch.callback': [
    'URL de callback para Gupshup',
    'Callback URL for Gupshup',
    'URL de callback para o Gupshup',
  ],
  'ch.callbackHelp': [
    'Pegue esta URL en Gupshup → su app → Webhooks (active Enqueued, Failed, Sent, Delivered y Read).',
    'Paste this URL in Gupshup → your app → Webhooks (tick Enqueued, Failed, Sent, Delivered and Read).',
    'Cole esta URL no Gupshup → seu app → Webhooks (marque Enqueued, Failed, Sent, Delivered e Read).',
  ],
  'ch.created': ['Canal conectado.', 'Channel connected.', 'Canal conectado.'],
  'ch.contact': ['Persona de contacto', 'Contact person', 'Pessoa de contato'],
  'ch.email': ['Correo', 'E-mail', 'E-mail'],
  'ch.phone': ['Teléfono de contacto', 'Contact phone', 'Telefone de contato'],
  'ch.requestNote': [
    'El canal queda Pendiente hasta que confirmemos el número asignado.',
    'The channel stays Pending until we confirm the number assigned to you.',
    'O canal fica Pendente até confirmarmos o número atribuído.',
  ],
  'ch.requested': ['Solicitud enviada.', 'Request sent.', 'Solicitação enviada.'],
  'ch.activateTitle': ['¿Activar este canal?', 'Activate this channel?', 'Ativar este canal?'],
  'ch.activateText': [
    'Los mensajes de este número llegarán al canal abierto elegido.',
    'Messages to this number will reach the chosen open channel.',
    'As mensagens deste número chegarão ao canal aberto escolhido.',
  ],
  'ch.deactivateTitle': ['¿Desactivar este canal?', 'Deactivate this channel?', 'Desativar este canal?'],
  'ch.deactivateText': [
    'Las conversaciones del canal abierto terminan y el número sale de sus colas: nadie recibirá sus mensajes hasta que lo active de nuevo.',
    'The open channel’s conversations end and the number leaves its queues: nobody receives its messages until you activate it again.',
    'As conversas do canal aberto terminam e o número sai das suas filas: ninguém receberá as mensagens até ativá-lo de novo.',
  ],
  'ch.deleteTitle': ['¿Eliminar este canal?', 'Delete this channel?', 'Excluir este canal?'],
  'ch.deleteText': [
    'Se borra la clave de API y el canal deja de funcionar. El historial se conserva.',
    'The API key is erased and the channel stops working. The history is kept.',
    'A chave de API é apagada e o canal deixa de funcionar. O histórico é mantido.',
  ],
  'ch.pickLine': ['Elija el canal abierto', 'Choose the open channel', 'Escolha o canal aberto'],
  'ch.editTitle': ['Editar canal', 'Edit channel', 'Editar canal'],
  'ch.reason': ['Motivo: {code}', 'Reason: {code}', 'Motivo: {code}'],
  'conn.title': ['Conector WhatsApp', 'WhatsApp connector', 'Conector WhatsApp'],
  'conn.line': ['Canal abierto', 'Open channel', 'Canal aberto'],
  'conn.served': ['Atendido por', 'Served by', 'Atendido por'],
  'conn.none': [
    'Ningún número de WhatsApp atiende este canal abierto todavía.',
    'No WhatsApp number serves this open channel yet.',
    'Nenhum número de WhatsApp atende este canal aberto ainda.',
  ],
  'conn.bitrixState': ['Estado en Bitrix24', 'State in Bitrix24', 'Estado no Bitrix24'],
  'conn.on': ['conectado', 'connected', 'conectado'],
  'conn.off': ['no conectado', 'not connected', 'não conectado'],
  'conn.pick': ['Elegir un canal', 'Pick a channel', 'Escolher um canal'],
  'conn.activate': [
    'Activar en este canal abierto',
    'Activate on this open channel',
    'Ativar neste canal aberto',
  ],
  'conn.deactivate': ['Desconectar', 'Disconnect', 'Desconectar'],
  'roles.intro': [
    'Marque, por canal, quién controla la calidad, quién vende (y recibe clientes nuevos) y quién es jefe.',
    'Tick, per channel, who does quality control, who sells (and receives new clients) and who is the boss.',
    'Marque, por canal, quem faz o controle de qualidade, quem vende (e recebe clientes novos) e quem é chefe.',
  ],
  'roles.user': ['Usuario', 'User', 'Usuário'],
  'roles.department': ['Departamento', 'Department', 'Departamento'],
  'roles.qc': ['Control de calidad', 'Quality control', 'Controle de qualidade'],
  'roles.sales': ['Representante de ventas', 'Sales representative', 'Representante de vendas'],
  'roles.newClients': ['recibe clientes nuevos', 'receives new clients', 'recebe clientes novos'],
  'roles.boss': ['Jefe', 'Boss', 'Chefe'],
  'roles.channel': ['Canal', 'Channel', 'Canal'],
  'roles.noChannels': ['Primero conecte un canal.', 'Connect a channel first.', 'Conecte um canal primeiro.'],
  'roles.crm': ['Clientes nuevos en el CRM', 'New customers in the CRM', 'Clientes novos no CRM'],
  'roles.entity': ['Crear', 'Create', 'Criar'],
  'roles.lead': ['Prospecto (lead)', 'Lead', 'Lead'],
  'roles.deal': ['Negociación (deal)', 'Deal', 'Negócio (deal)'],
  'roles.pipeline': ['Embudo', 'Pipeline', 'Funil'],
  'roles.stage': ['Etapa', 'Stage', 'Etapa'],
  'trace.channel': ['Canal', 'Channel', 'Canal'],
  'trace.direction': ['Dirección', 'Direction', 'Direção'],
  'trace.in': ['Cliente → Bitrix24', 'Customer → Bitrix24', 'Cliente → Bitrix24'],
  'trace.out': ['Bitrix24 → cliente', 'Bitrix24 → customer', 'Bitrix24 → cliente'],
  'trace.status': ['Estado', 'Status', 'Status'],
  'trace.from': ['Desde', 'From', 'De'],
  'trace.to': ['Hasta', 'To', 'Até'],
  'trace.when': ['Fecha', 'Date', 'Data'],
  'trace.error': ['Error', 'Error', 'Erro'],
  'trace.empty': [
    'No hay mensajes con estos filtros.',
    'No messages match these filters.',
    'Nenhuma mensagem com estes filtros.',
  ],
  'trace.replay': ['Reenviar', 'Replay', 'Reenviar'],
  'trace.replayed': [
    'Mensaje puesto en cola de nuevo.',
    'Message queued again.',
    'Mensagem colocada na fila de novo.',
  ],
  'trace.history': ['Historial', 'History', 'Histórico'],
  'trace.code': ['Código {code}', 'Code {code}', 'Código {code}'],
  'trace.httpCode': ['Respuesta HTTP {code}', 'HTTP answer {code}', 'Resposta HTTP {code}'],
  'trace.gupshupStatus': ['Gupshup: {status}', 'Gupshup: {status}', 'Gupshup: {status}'],
  'set.channel': ['Canal', 'Channel', 'Canal'],
  'set.appName': ['Nombre de la app', 'App name', 'Nome do app'],
  'set.appId': ['ID de la app', 'App ID', 'ID do app'],
  'set.mode': ['Modo', 'Mode', 'Modo'],
  'set.live': ['Live', 'Live', 'Live'],
  'set.sandbox': ['Sandbox', 'Sandbox', 'Sandbox'],
  'set.waba': ['ID de WABA', 'WABA ID', 'ID da WABA'],
  'set.tier': ['Límite de mensajes', 'Messaging limit tier', 'Limite de mensagens'],
  'set.quality': ['Calidad del número', 'Phone quality', 'Qualidade do número'],
  'set.wallet': ['Saldo (wallet)', 'Wallet', 'Saldo (wallet)'],
  'set.plan': [
    'Plan de Bitrix24 (límite de la API REST)',
    'Bitrix24 plan (REST API limit)',
    'Plano do Bitrix24 (limite da API REST)',
  ],
  'set.planStandard': ['Estándar: 2 llamadas/s', 'Standard: 2 calls/s', 'Padrão: 2 chamadas/s'],
  'set.planEnterprise': ['Enterprise: 5 llamadas/s', 'Enterprise: 5 calls/s', 'Enterprise: 5 chamadas/s'],
  'set.planHelp': [
    'La app reparte este límite entre todas sus instancias; Bitrix24 no le dice a la app qué plan tiene el portal.',
    'The app shares this limit across all its instances; Bitrix24 does not tell an app which plan the portal is on.',
    'O app divide este limite entre todas as suas instâncias; o Bitrix24 não informa ao app qual é o plano do portal.',
  ],
  'set.saved': ['Guardado', 'Saved', 'Salvo'],
  'set.tokens': ['Tokens de API del portal', 'The portal’s API tokens', 'Tokens de API do portal'],
  'set.tokensHelp': [
    'Para integraciones y scripts: Authorization: Bearer <token>. El token se muestra una sola vez.',
    'For integrations and scripts: Authorization: Bearer <token>. The token is shown only once.',
    'Para integrações e scripts: Authorization: Bearer <token>. O token é exibido uma só vez.',
  ],
  'set.tokenLabel': ['Etiqueta', 'Label', 'Rótulo'],
  'set.tokenCreate': ['Crear token', 'Create token', 'Criar token'],
  'set.tokenRevoke': ['Revocar', 'Revoke', 'Revogar'],
  'set.tokenRevoked': ['revocado', 'revoked', 'revogado'],
  'set.tokenNew': ['Copie su token ahora:', 'Copy your token now:', 'Copie seu token agora:'],
  'set.created': ['Creado', 'Created', 'Criado'],
  'set.lastUsed': ['Último uso', 'Last used', 'Último uso'],
  'error.title': ['No se pudo completar', 'This could not be completed', 'Não foi possível concluir'],
  'error.generic': [
    'Algo falló de nuestro lado. Vuelva a intentarlo en un minuto.',
    'Something failed on our side. Please try again in a minute.',
    'Algo falhou do nosso lado. Tente novamente em um minuto.',
  ],
  'error.badAuth': [
    'Esta página debe abrirse desde Bitrix24.',
    'This page must be opened from Bitrix24.',
    'Esta página deve ser aberta a partir do Bitrix24.',
  ],
  'error.authRefused': [
    'Bitrix24 no confirmó su sesión. Cierre y vuelva a abrir la aplicación.',
    'Bitrix24 did not confirm your session. Close the app and open it again.',
    'O Bitrix24 não confirmou sua sessão. Feche e abra o aplicativo novamente.',
  ],
  'error.reference': ['Referencia', 'Reference', 'Referência'],
} satisfies Record<string, Entry>;

type Prefixed<P extends string, T> = { [K in keyof T & string as `${P}.${K}`]: Entry };

function prefixed<P extends string, T extends Record<string, Entry>>(prefix: P, t: T): Prefixed<P, T> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [`${prefix}.${k}`, v])) as Prefixed<P, T>;
}

/** The pages' whole dictionary: the texts above, the health strip's, and every code they show. */
const ALL = {
  ...UI,
  ...prefixed('health', HEALTH_TEXTS),
  ...prefixed('reason', REASON_TEXTS),
  ...prefixed('msg', MESSAGE_STATUS_TEXTS),
  ...prefixed('level', LEVEL_TEXTS),
  ...prefixed('step', STEP_TEXTS),
  ...prefixed('code', CODE_TEXTS),
  ...prefixed('picker', PICKER_TEXTS),
  ...prefixed('tpl', TEMPLATE_TEXTS),
  ...prefixed('bill', BILLING_TEXTS),
  ...prefixed('op', OPERATOR_TEXTS),
  ...prefixed('opn', OPERATOR_NOTIFICATION_TEXTS),
  ...prefixed('ntf', NOTIFICATION_TEXTS),
  ...prefixed('sms', SMS_TEXTS),
  ...prefixed('cmp', CAMPAIGN_TEXTS),
};

export type UiTextKey = keyof typeof ALL;
export type UiTexts = Record<UiTextKey, string>;

const ENTRIES: Record<string, Entry | undefined> = ALL;

const INDEX: Record<Lang, number> = { es: 0, en: 1, pt: 2 };

export function uiText(lang: Lang, key: string): string {
  return ENTRIES[key]?.[INDEX[lang]] ?? ENTRIES[key]?.[1] ?? key;
}

/** Every UI text in one language, for the page's script. */
export function uiTexts(lang: Lang): UiTexts {
  return Object.fromEntries(Object.entries(ALL).map(([k, v]) => [k, v[INDEX[lang]] ?? v[1]])) as UiTexts;
}
