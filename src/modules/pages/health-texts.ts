/**
 * The health strip under each channel (Channels tab), in es, en and pt: each indicator's label, and
 * for each state a tooltip that says what it means and what to do. texts.ts hands them to the pages
 * under `health.`.
 */
type Entry = [es: string, en: string, pt: string];

export const HEALTH_TEXTS = {
  title: ['Salud', 'Health', 'Saúde'],
  token: ['Token de Bitrix24', 'Bitrix24 token', 'Token do Bitrix24'],
  'token.ok': [
    'Bitrix24 acepta el token de la aplicación. Nada que hacer.',
    'Bitrix24 accepts the app’s token. Nothing to do.',
    'O Bitrix24 aceita o token do aplicativo. Nada a fazer.',
  ],
  'token.bad': [
    'Bitrix24 rechaza el token de la aplicación: un administrador debe abrir la aplicación de nuevo; si sigue igual, reinstálela.',
    'Bitrix24 refuses the app’s token: an administrator should open the app again; if that does not help, reinstall it.',
    'O Bitrix24 recusa o token do aplicativo: um administrador deve abrir o aplicativo de novo; se continuar, reinstale-o.',
  ],
  'token.unknown': [
    'Sin comprobar: se comprueba cuando el canal está activo en un canal abierto. Actívelo con el interruptor.',
    'Not checked: it is checked once the channel is active on an open channel. Switch it on.',
    'Não verificado: é verificado quando o canal está ativo em um canal aberto. Ative-o no interruptor.',
  ],
  connector: ['Conector', 'Connector', 'Conector'],
  'connector.ok': [
    'El conector está activo en el canal abierto de Bitrix24. Nada que hacer.',
    'The connector is on in the Bitrix24 open channel. Nothing to do.',
    'O conector está ativo no canal aberto do Bitrix24. Nada a fazer.',
  ],
  'connector.bad': [
    'El conector está apagado en este canal abierto de Bitrix24: desactive y active el canal aquí, o conéctelo en Contact Center.',
    'The connector is off in this Bitrix24 open channel: switch the channel off and on here, or connect it in Contact Center.',
    'O conector está desligado neste canal aberto do Bitrix24: desative e ative o canal aqui, ou conecte-o no Contact Center.',
  ],
  'connector.unknown': [
    'Sin comprobar: el canal no está activo en un canal abierto o Bitrix24 no respondió. Actívelo, o recargue la página en un minuto.',
    'Not checked: the channel is not active on an open channel, or Bitrix24 did not answer. Switch it on, or reload the page in a minute.',
    'Não verificado: o canal não está ativo em um canal aberto ou o Bitrix24 não respondeu. Ative-o, ou recarregue a página em um minuto.',
  ],
  gupshup: ['Clave de Gupshup', 'Gupshup key', 'Chave do Gupshup'],
  'gupshup.ok': [
    'Gupshup acepta la clave de API de este canal. Nada que hacer.',
    'Gupshup accepts this channel’s API key. Nothing to do.',
    'O Gupshup aceita a chave de API deste canal. Nada a fazer.',
  ],
  'gupshup.rejected': [
    'Gupshup rechaza la clave de API: en Editar, pegue la clave vigente (Gupshup → su app → API key).',
    'Gupshup refuses the API key: in Edit, paste the current key (Gupshup → your app → API key).',
    'O Gupshup recusa a chave de API: em Editar, cole a chave atual (Gupshup → seu app → API key).',
  ],
  'gupshup.unknown_app': [
    'Gupshup no conoce este ID de app: corríjalo en Editar (Gupshup → su app → App ID).',
    'Gupshup does not know this app ID: correct it in Edit (Gupshup → your app → App ID).',
    'O Gupshup não conhece este ID de app: corrija-o em Editar (Gupshup → seu app → App ID).',
  ],
  'gupshup.unreachable': [
    'Gupshup no respondió: se comprueba de nuevo al recargar la página. Si dura, vea status.gupshup.io.',
    'Gupshup did not answer: it is checked again when the page reloads. If it lasts, see status.gupshup.io.',
    'O Gupshup não respondeu: é verificado de novo ao recarregar a página. Se durar, veja status.gupshup.io.',
  ],
  'gupshup.unknown': [
    'Sin comprobar: falta el ID de la app de Gupshup. Añádalo en Editar (Gupshup → su app → App ID).',
    'Not checked: the Gupshup app ID is missing. Add it in Edit (Gupshup → your app → App ID).',
    'Não verificado: falta o ID do app do Gupshup. Adicione-o em Editar (Gupshup → seu app → App ID).',
  ],
  webhook: ['Último webhook', 'Last webhook', 'Último webhook'],
  never: ['nunca', 'never', 'nunca'],
  'webhook.ok': [
    'La última vez que Gupshup llamó a la aplicación. Si no cambia cuando un cliente escribe, revise la URL de callback en Gupshup → su app → Webhooks.',
    'When Gupshup last called the app. If it does not change when a customer writes, check the callback URL in Gupshup → your app → Webhooks.',
    'A última vez que o Gupshup chamou o aplicativo. Se não mudar quando um cliente escreve, revise a URL de callback no Gupshup → seu app → Webhooks.',
  ],
  'webhook.never': [
    'Gupshup todavía no llamó: pegue la URL de callback (en Editar) en Gupshup → su app → Webhooks.',
    'Gupshup has not called yet: paste the callback URL (in Edit) in Gupshup → your app → Webhooks.',
    'O Gupshup ainda não chamou: cole a URL de callback (em Editar) no Gupshup → seu app → Webhooks.',
  ],
  wallet: ['Saldo', 'Wallet', 'Saldo'],
  'wallet.ok': [
    'Saldo de Gupshup disponible. Nada que hacer.',
    'Gupshup wallet in credit. Nothing to do.',
    'Saldo do Gupshup disponível. Nada a fazer.',
  ],
  'wallet.low': [
    'Saldo bajo: recárguelo en Gupshup (Wallet → Add money) antes de que se agote.',
    'Low balance: top it up in Gupshup (Wallet → Add money) before it runs out.',
    'Saldo baixo: recarregue-o no Gupshup (Wallet → Add money) antes que acabe.',
  ],
  'wallet.empty': [
    'Sin saldo: WhatsApp no envía mensajes. Recárguelo en Gupshup (Wallet → Add money).',
    'No balance: WhatsApp sends nothing. Top it up in Gupshup (Wallet → Add money).',
    'Sem saldo: o WhatsApp não envia mensagens. Recarregue-o no Gupshup (Wallet → Add money).',
  ],
  'wallet.unknown': [
    'Gupshup no da el saldo a una clave de API: consúltelo en el panel de Gupshup.',
    'Gupshup does not give the balance to an API key: see it in the Gupshup dashboard.',
    'O Gupshup não informa o saldo a uma chave de API: consulte-o no painel do Gupshup.',
  ],
  na: ['no disponible', 'not available', 'não disponível'],
} satisfies Record<string, Entry>;
