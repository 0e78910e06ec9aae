/**
 * The error codes a message or a trace step can carry, as the Message log shows them, in es, en and
 * pt: the relay's own codes, the media download's, and Gupshup's and Meta's (reference gupshup.md
 * §8; a channel's status reasons, also used as codes, are in relay-texts.ts). Provider codes are an
 * open set: the pages show one not named here as "Code 131056" (`trace.code`), and `http_404` as
 * "HTTP answer 404" (`trace.httpCode`). texts.ts hands them to the pages under `code.`.
 */
type Entry = [es: string, en: string, pt: string];

/** Texts several codes share (Gupshup's and Meta's codes for one thing). */
const WINDOW_CLOSED: Entry = [
  'Pasaron más de 24 horas desde el último mensaje del cliente',
  'More than 24 hours since the customer last wrote',
  'Passaram mais de 24 horas desde a última mensagem do cliente',
];
/** Gupshup's legacy opt-in failures, handled as a closed window (reference §8). */
const LEGACY_OPT_IN: Entry = [
  'Ventana de 24 horas cerrada',
  '24-hour window closed',
  'Janela de 24 horas fechada',
];
const NOT_ON_WHATSAPP: Entry = [
  'El número no está en WhatsApp',
  'The number is not on WhatsApp',
  'O número não está no WhatsApp',
];
const TEMPLATE_PAUSED: Entry = ['Plantilla en pausa', 'Template paused', 'Modelo pausado'];

export const CODE_TEXTS = {
  // The relay's own
  failed: ['Falló sin código', 'Failed without a code', 'Falhou sem código'],
  rejected: ['Rechazado por Gupshup', 'Refused by Gupshup', 'Recusado pelo Gupshup'],
  empty_message: ['Mensaje vacío', 'Empty message', 'Mensagem vazia'],
  bad_chat_id: [
    'El chat de Bitrix24 no nombra a un cliente',
    'The Bitrix24 chat names no customer',
    'O chat do Bitrix24 não indica um cliente',
  ],
  window_closed: WINDOW_CLOSED,
  // Templates (issue 11)
  template_paused: TEMPLATE_PAUSED,
  template_disabled: ['Plantilla desactivada', 'Template disabled', 'Modelo desativado'],
  template_rejected: ['Plantilla rechazada', 'Template rejected', 'Modelo rejeitado'],
  template_deleted: [
    'La plantilla ya no existe',
    'The template no longer exists',
    'O modelo não existe mais',
  ],
  template_inactive: [
    'Plantilla desactivada en la app',
    'Template switched off in the app',
    'Modelo desativado no app',
  ],
  template_not_approved: ['Plantilla no aprobada', 'Template not approved', 'Modelo não aprovado'],
  template_unsupported: ['Plantillas no disponibles', 'Templates not available', 'Modelos indisponíveis'],
  template_not_found: [
    'La plantilla no existe en el canal',
    'The template does not exist on the channel',
    'O modelo não existe no canal',
  ],
  template_not_on_line: [
    'La plantilla no está asignada a la línea del canal',
    'The template is not assigned to the channel’s line',
    'O modelo não está atribuído à linha do canal',
  ],
  // A digest's send (issue 13): the channel of the report's template, and a send that kept failing.
  channel_off: ['El canal no está activo', 'The channel is not active', 'O canal não está ativo'],
  channel_not_found: ['El canal ya no existe', 'The channel no longer exists', 'O canal não existe mais'],
  phone_invalid: ['Número no válido', 'Invalid number', 'Número inválido'],
  gave_up: [
    'No se pudo enviar tras varios intentos',
    'Could not be sent after several tries',
    'Não foi possível enviar após várias tentativas',
  ],
  // A campaign stopped or slowed (issue 14, trace codes of campaigns/dispatch.ts).
  gupshup_4001: [
    'Gupshup limitó los envíos (4001)',
    'Gupshup rate-limited the sends (4001)',
    'O Gupshup limitou os envios (4001)',
  ],
  dispatch_failed: [
    'La campaña se detuvo: los envíos fallaron una y otra vez',
    'The campaign stopped: sending failed again and again',
    'A campanha parou: os envios falharam repetidamente',
  ],
  rate_limited: [
    'Gupshup pidió esperar (429)',
    'Gupshup asked to wait (429)',
    'O Gupshup pediu para esperar (429)',
  ],
  header_media_missing: [
    'Falta el archivo del encabezado',
    'The header file is missing',
    'Falta o arquivo do cabeçalho',
  ],
  header_media_invalid: [
    'El archivo del encabezado no es del tipo de la plantilla',
    'The header file is not of the template’s type',
    'O arquivo do cabeçalho não é do tipo do modelo',
  ],
  phone_not_on_card: [
    'El número no es de la ficha del CRM',
    'The number is not on the CRM card',
    'O número não é da ficha do CRM',
  ],
  crm_check_failed: [
    'No se pudo comprobar el número en el CRM',
    'Could not check the number in the CRM',
    'Não foi possível verificar o número no CRM',
  ],
  retries_exhausted: ['Reintentos agotados', 'Out of retries', 'Tentativas esgotadas'],
  channel_inactive: ['El canal está desactivado', 'The channel is switched off', 'O canal está desativado'],
  awaiting_confirmation: [
    'Esperando la confirmación de Gupshup',
    'Waiting for Gupshup to confirm',
    'Aguardando a confirmação do Gupshup',
  ],
  edit_after_send: [
    'Ya enviado: WhatsApp no permite editarlo',
    'Already sent: WhatsApp does not allow editing it',
    'Já enviada: o WhatsApp não permite editá-la',
  ],
  delete_after_send: [
    'Ya enviado: WhatsApp no permite borrarlo',
    'Already sent: WhatsApp does not allow deleting it',
    'Já enviada: o WhatsApp não permite apagá-la',
  ],
  no_message_units: [
    'Retenido: no quedan mensajes en el saldo',
    'Held: no messages left in the balance',
    'Retida: não restam mensagens no saldo',
  ],
  hold_expired: [
    'No enviado: no llegaron mensajes al saldo a tiempo',
    'Not sent: no messages were credited in time',
    'Não enviada: nenhuma mensagem foi creditada a tempo',
  ],
  unreachable: ['Gupshup no responde', 'Gupshup does not answer', 'O Gupshup não responde'],
  not_confirmed_by_portal: [
    'El mensaje no está así en Bitrix24 (evento no confirmado)',
    'The message is not in Bitrix24 as the event said (not confirmed)',
    'A mensagem não está assim no Bitrix24 (evento não confirmado)',
  ],
  portal_unavailable: [
    'Bitrix24 no respondió a la comprobación',
    'Bitrix24 did not answer the check',
    'O Bitrix24 não respondeu à verificação',
  ],
  // Files
  media: ['Error con el archivo', 'File error', 'Erro no arquivo'],
  media_not_ready: [
    'El archivo aún no está listo',
    'The file is not ready yet',
    'O arquivo ainda não está pronto',
  ],
  file_too_large: [
    'Archivo más grande de lo que WhatsApp admite',
    'File larger than WhatsApp accepts',
    'Arquivo maior do que o WhatsApp aceita',
  ],
  file_unsupported: [
    'Tipo de archivo que WhatsApp no admite',
    'A file WhatsApp cannot send',
    'Arquivo que o WhatsApp não aceita',
  ],
  file_unavailable: [
    'No se pudo descargar el archivo de Bitrix24',
    'The file could not be downloaded from Bitrix24',
    'Não foi possível baixar o arquivo do Bitrix24',
  ],
  no_url: [
    'Gupshup no envió el enlace del archivo',
    'Gupshup sent no file link',
    'O Gupshup não enviou o link',
  ],
  expired: ['El enlace del archivo expiró', 'The file link expired', 'O link do arquivo expirou'],
  too_large: ['Archivo demasiado grande', 'File too large', 'Arquivo grande demais'],
  too_many_redirects: ['Demasiadas redirecciones', 'Too many redirects', 'Redirecionamentos demais'],
  network: ['Error de red', 'Network error', 'Erro de rede'],
  bad_url: ['Enlace no válido', 'Invalid link', 'Link inválido'],
  not_found: ['No encontrado o expirado', 'Gone or expired', 'Não encontrado ou expirado'],
  forbidden: ['Acceso denegado', 'Access denied', 'Acesso negado'],
  blocked_host: [
    'Dirección privada: descarga bloqueada',
    'Private address: download blocked',
    'Endereço privado: download bloqueado',
  ],
  blocked_address: [
    'Dirección privada: conexión bloqueada',
    'Private address: connection blocked',
    'Endereço privado: conexão bloqueada',
  ],
  // Gupshup (reference §8)
  '401': [
    'Gupshup rechazó la clave de API',
    'Gupshup rejected the API key',
    'O Gupshup recusou a chave de API',
  ],
  '429': ['Demasiadas solicitudes', 'Too many requests', 'Solicitações demais'],
  '500': ['Error interno de Gupshup', 'Gupshup internal error', 'Erro interno do Gupshup'],
  '1001': [
    'El cliente no se unió al sandbox de la app',
    'The customer has not joined the app’s sandbox',
    'O cliente não entrou no sandbox do app',
  ],
  '1002': NOT_ON_WHATSAPP,
  '1003': ['Saldo de Gupshup agotado', 'Gupshup wallet empty', 'Saldo do Gupshup esgotado'],
  '1004': [
    'Fuera de la ventana de 24 horas y sin plantillas',
    'Outside the 24-hour window, templates off',
    'Fora da janela de 24 horas, sem modelos',
  ],
  '1005': [
    'Fuera de la ventana de 24 horas: hace falta una plantilla',
    'Outside the 24-hour window: a template is needed',
    'Fora da janela de 24 horas: é preciso um modelo',
  ],
  '1006': LEGACY_OPT_IN,
  '1007': LEGACY_OPT_IN,
  '1008': LEGACY_OPT_IN,
  '1009': ['Falta un dato obligatorio', 'A required field is missing', 'Falta um campo obrigatório'],
  '1010': ['Enlace de archivo no válido', 'Invalid file link', 'Link de arquivo inválido'],
  '1011': ['Tamaño de archivo no válido', 'Invalid file size', 'Tamanho de arquivo inválido'],
  '1012': ['El cliente se dio de baja', 'The customer opted out', 'O cliente cancelou o recebimento'],
  '1013': NOT_ON_WHATSAPP,
  '1014': [
    'Archivo no disponible en el enlace',
    'File unavailable at its link',
    'Arquivo indisponível no link',
  ],
  '4001': [
    'Límite de envíos de Gupshup alcanzado',
    'Gupshup’s sending limit reached',
    'Limite de envio do Gupshup atingido',
  ],
  '4002': [
    'Respuesta no válida de WhatsApp',
    'Invalid answer from WhatsApp',
    'Resposta inválida do WhatsApp',
  ],
  '4003': ['Ninguna plantilla coincide', 'No template matches', 'Nenhum modelo corresponde'],
  '4004': [
    'Solo disponible en la Cloud API',
    'Only available on the Cloud API',
    'Disponível só na Cloud API',
  ],
  '4005': TEMPLATE_PAUSED,
  // Meta, passed through by Gupshup (reference §8)
  '470': WINDOW_CLOSED,
  '471': ['Límite por spam de Meta', 'Meta spam rate limit', 'Limite de spam da Meta'],
  '131026': [
    'No se puede entregar (¿no está en WhatsApp?)',
    'Undeliverable (not on WhatsApp?)',
    'Não entregável (não está no WhatsApp?)',
  ],
  '131031': ['Cuenta restringida por Meta', 'Account restricted by Meta', 'Conta restrita pela Meta'],
  '131042': ['Problema con el medio de pago', 'Payment method problem', 'Problema com o meio de pagamento'],
  '131047': WINDOW_CLOSED,
  '131048': [
    'Restringido por calidad o spam',
    'Restricted for quality or spam',
    'Restrito por qualidade ou spam',
  ],
  '131049': [
    'Límite de marketing por cliente',
    'Per-customer marketing limit',
    'Limite de marketing por cliente',
  ],
  '131050': [
    'El cliente dejó de recibir marketing',
    'The customer stopped marketing messages',
    'O cliente parou de receber marketing',
  ],
  '131056': [
    'Demasiados mensajes a este cliente',
    'Too many messages to this customer',
    'Mensagens demais a este cliente',
  ],
  '130429': ['Límite de velocidad de Meta', 'Meta throughput limit', 'Limite de vazão da Meta'],
  '130472': [
    'Retenido por un experimento de Meta',
    'Held back by a Meta experiment',
    'Retido por um experimento da Meta',
  ],
  '132000': [
    'Cantidad de parámetros de la plantilla incorrecta',
    'Wrong number of template parameters',
    'Número de parâmetros do modelo incorreto',
  ],
  '132001': [
    'Plantilla inexistente o no aprobada en este idioma',
    'Template missing or not approved in this language',
    'Modelo inexistente ou não aprovado neste idioma',
  ],
  '132012': ['Formato de parámetro incorrecto', 'Wrong parameter format', 'Formato de parâmetro incorreto'],
  '132015': TEMPLATE_PAUSED,
  '132016': ['Plantilla desactivada', 'Template disabled', 'Modelo desativado'],
  '133010': [
    'Número no registrado en la Cloud API',
    'Number not registered on the Cloud API',
    'Número não registrado na Cloud API',
  ],
} satisfies Record<string, Entry>;
