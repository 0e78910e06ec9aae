import type { ChannelStatusReason } from '../channels/status-reasons.js';
import type { MessageStatus } from '../messaging/message-log.js';
import type { TRACE_STEPS } from '../trace/trace-steps.js';
import type { TraceLevel } from '../../shared/db/schema.js';

/**
 * What the relay records and the pages show: a channel's status reason, a message's status, the steps
 * of its trace and their levels, in es, en and pt. Each table must name every value of its list (the
 * `satisfies` below fail `npm run typecheck` otherwise), so a new reason, status or step cannot reach
 * a page untranslated. texts.ts hands them to the pages under `reason.`, `msg.`, `step.`, `level.`.
 */
type Entry = [es: string, en: string, pt: string];

export const REASON_TEXTS = {
  switched_off: [
    'Desactivado por un administrador',
    'Switched off by an administrator',
    'Desativado por um administrador',
  ],
  app_uninstalled: [
    'La aplicación se desinstaló del portal',
    'The app was uninstalled from the portal',
    'O aplicativo foi desinstalado do portal',
  ],
  api_key_rejected: [
    'Gupshup rechazó la clave de API: edite el canal y pegue la clave vigente',
    'Gupshup rejected the API key: edit the channel and paste the current key',
    'O Gupshup recusou a chave de API: edite o canal e cole a chave atual',
  ],
  wallet_empty: [
    'Saldo de Gupshup agotado: recárguelo en Gupshup',
    'Gupshup wallet empty: top it up in Gupshup',
    'Saldo do Gupshup esgotado: recarregue-o no Gupshup',
  ],
  line_deleted: [
    'El canal abierto se eliminó en Bitrix24',
    'The open channel was deleted in Bitrix24',
    'O canal aberto foi excluído no Bitrix24',
  ],
  connector_disabled_in_bitrix24: [
    'El conector se desactivó en Bitrix24 (Contact Center)',
    'The connector was switched off in Bitrix24 (Contact Center)',
    'O conector foi desativado no Bitrix24 (Contact Center)',
  ],
  no_message_units: [
    'No quedan mensajes: pida al administrador de facturación que compre un paquete',
    'No messages left: ask your billing admin to buy a pack',
    'Não restam mensagens: peça ao administrador de cobrança que compre um pacote',
  ],
  subscription_unpaid: [
    'La suscripción del canal no se pagó: actualice la tarjeta en la pestaña Facturación',
    "The channel's subscription was not paid: update the card on the Billing tab",
    'A assinatura do canal não foi paga: atualize o cartão na aba Faturamento',
  ],
  subscription_cancelled: [
    'La suscripción del canal se canceló: contrátela de nuevo en la pestaña Facturación',
    "The channel's subscription was cancelled: subscribe again on the Billing tab",
    'A assinatura do canal foi cancelada: assine de novo na aba Faturamento',
  ],
} satisfies Record<ChannelStatusReason, Entry>;

export const MESSAGE_STATUS_TEXTS = {
  received: ['Recibido', 'Received', 'Recebido'],
  queued: ['En cola', 'Queued', 'Na fila'],
  sending: ['Enviando', 'Sending', 'Enviando'],
  submitted: ['Entregado a Gupshup', 'Handed to Gupshup', 'Entregue ao Gupshup'],
  enqueued: ['En cola de WhatsApp', 'Queued at WhatsApp', 'Na fila do WhatsApp'],
  sent: ['Enviado', 'Sent', 'Enviado'],
  delivered: ['Entregado', 'Delivered', 'Entregue'],
  read: ['Leído', 'Read', 'Lido'],
  failed: ['Fallido', 'Failed', 'Falhou'],
  dead: ['Sin entregar (dead letter)', 'Undelivered (dead letter)', 'Não entregue (dead letter)'],
  skipped: ['Omitido', 'Skipped', 'Ignorado'],
  deleted: ['Eliminado', 'Deleted', 'Excluído'],
} satisfies Record<MessageStatus, Entry>;

export const LEVEL_TEXTS = {
  INFO: ['Info', 'Info', 'Info'],
  WARN: ['Aviso', 'Warning', 'Aviso'],
  ERROR: ['Error', 'Error', 'Erro'],
} satisfies Record<TraceLevel, Entry>;

export const STEP_TEXTS = {
  received: ['Recibido', 'Received', 'Recebido'],
  queued: ['En cola', 'Queued', 'Na fila'],
  duplicate_ignored: ['Duplicado ignorado', 'Duplicate ignored', 'Duplicado ignorado'],
  gupshup_event: ['Evento de Gupshup', 'Gupshup event', 'Evento do Gupshup'],
  delivered_to_bitrix: ['Entregado a Bitrix24', 'Delivered to Bitrix24', 'Entregue ao Bitrix24'],
  bitrix_refused: ['Bitrix24 lo rechazó', 'Refused by Bitrix24', 'Recusado pelo Bitrix24'],
  media_stored: ['Archivo guardado', 'File stored', 'Arquivo armazenado'],
  media_retry: [
    'Descarga del archivo: nuevo intento',
    'File download: trying again',
    'Download do arquivo: nova tentativa',
  ],
  media_failed: ['Archivo no disponible', 'File unavailable', 'Arquivo indisponível'],
  no_channel_for_line: [
    'Ningún canal atiende este canal abierto',
    'No channel serves this open channel',
    'Nenhum canal atende este canal aberto',
  ],
  confirmed_by_portal: [
    'Bitrix24 confirmó el mensaje',
    'Bitrix24 confirmed the message',
    'O Bitrix24 confirmou a mensagem',
  ],
  not_confirmed_by_portal: [
    'Bitrix24 no tiene este mensaje: no se envió',
    'Bitrix24 does not hold this message: not sent',
    'O Bitrix24 não tem esta mensagem: não enviada',
  ],
  portal_check_delayed: [
    'Bitrix24 no responde: se comprobará más tarde',
    'Bitrix24 does not answer: checked again later',
    'O Bitrix24 não responde: será verificado depois',
  ],
  rejected: ['Rechazado', 'Rejected', 'Recusado'],
  skipped: ['Omitido (nada que enviar)', 'Skipped (nothing to send)', 'Ignorado (nada a enviar)'],
  window_closed: ['Ventana de 24 horas cerrada', '24-hour window closed', 'Janela de 24 horas fechada'],
  awaiting_confirmation: [
    'Esperando la confirmación de Gupshup',
    'Waiting for Gupshup to confirm',
    'Aguardando a confirmação do Gupshup',
  ],
  resend_unconfirmed: [
    'Gupshup no confirmó: se envía de nuevo',
    'Gupshup did not confirm: sent again',
    'O Gupshup não confirmou: enviado de novo',
  ],
  send_outcome_unknown: ['Sin respuesta de Gupshup', 'No answer from Gupshup', 'Sem resposta do Gupshup'],
  sent_upstream: ['Aceptado por Gupshup', 'Accepted by Gupshup', 'Aceito pelo Gupshup'],
  sent_upstream_confirmed: [
    'Aceptado por Gupshup (según su evento)',
    'Accepted by Gupshup (from its event)',
    'Aceito pelo Gupshup (pelo evento)',
  ],
  acknowledged_in_bitrix: [
    'Entrega registrada en Bitrix24',
    'Delivery recorded in Bitrix24',
    'Entrega registrada no Bitrix24',
  ],
  ack_failed: [
    'Bitrix24 no registró la entrega',
    'Bitrix24 did not record the delivery',
    'O Bitrix24 não registrou a entrega',
  ],
  file_refused: ['Archivo no enviado', 'File not sent', 'Arquivo não enviado'],
  edit_ignored: ['Edición ignorada', 'Edit ignored', 'Edição ignorada'],
  delete_ignored: ['Eliminación ignorada', 'Deletion ignored', 'Exclusão ignorada'],
  edited_before_send: ['Editado antes de enviarse', 'Edited before it was sent', 'Editado antes do envio'],
  cancelled_before_send: [
    'Eliminado antes de enviarse',
    'Deleted before it was sent',
    'Excluído antes do envio',
  ],
  edit_not_possible: [
    'WhatsApp no permite editarlo',
    'WhatsApp does not allow editing it',
    'O WhatsApp não permite editá-la',
  ],
  delete_not_possible: [
    'WhatsApp no permite borrarlo',
    'WhatsApp does not allow deleting it',
    'O WhatsApp não permite apagá-la',
  ],
  agent_notified: ['Aviso a los agentes en el chat', 'Agents told in the chat', 'Aviso aos agentes no chat'],
  crm_phone_checked: [
    'Número confirmado en la ficha del CRM',
    'Number confirmed on the CRM card',
    'Número confirmado na ficha do CRM',
  ],
  template_recorded: [
    'Plantilla mostrada en el chat',
    'Template shown in the chat',
    'Modelo mostrado no chat',
  ],
  robot_answered: [
    'Respuesta enviada a la automatización',
    'Answer sent to the automation rule',
    'Resposta enviada à automação',
  ],
  robot_answer_failed: [
    'La automatización no recibió la respuesta',
    'The automation rule did not get its answer',
    'A automação não recebeu a resposta',
  ],
  retry_scheduled: ['Nuevo intento programado', 'Retry scheduled', 'Nova tentativa agendada'],
  failed: ['Falló', 'Failed', 'Falhou'],
  dead_lettered: [
    'Sin entregar tras los reintentos',
    'Undelivered after its retries',
    'Não entregue após as tentativas',
  ],
  replayed: ['Puesto en cola de nuevo', 'Queued again (replay)', 'Colocado na fila de novo'],
  assign_decided: ['Responsable elegido', 'Responsible person chosen', 'Responsável escolhido'],
  assign_skipped: [
    'Sin asignar: decide la cola de Bitrix24',
    'Not assigned: Bitrix24’s queue decides',
    'Sem atribuição: a fila do Bitrix24 decide',
  ],
  assign_failed: ['Asignación fallida', 'Assignment failed', 'Atribuição falhou'],
  chat_transferred: ['Chat transferido', 'Chat transferred', 'Chat transferido'],
  transfer_refused: [
    'Bitrix24 rechazó la transferencia',
    'Bitrix24 refused the transfer',
    'O Bitrix24 recusou a transferência',
  ],
  crm_lookup_refused: [
    'Bitrix24 rechazó la búsqueda en el CRM',
    'Bitrix24 refused the CRM lookup',
    'O Bitrix24 recusou a busca no CRM',
  ],
  crm_contact_created: ['Contacto creado en el CRM', 'CRM contact created', 'Contato criado no CRM'],
  crm_contact_reconciled: [
    'Contacto encontrado tras una creación sin confirmar',
    'Contact found after an unconfirmed create',
    'Contato encontrado após uma criação não confirmada',
  ],
  crm_contact_refused: [
    'Bitrix24 rechazó el contacto: el registro se crea sin él',
    'Bitrix24 refused the contact: the record is created without it',
    'O Bitrix24 recusou o contato: o registro é criado sem ele',
  ],
  crm_chat_bound: [
    'El chat está vinculado al registro del CRM',
    'The chat is bound to the CRM record',
    'O chat está vinculado ao registro do CRM',
  ],
  crm_chat_unbound: [
    'El chat no está vinculado al registro: vincúlelo desde el panel CRM del chat',
    'The chat is not bound to the record: link it from the chat’s CRM panel',
    'O chat não está vinculado ao registro: vincule-o no painel CRM do chat',
  ],
  crm_chat_check_failed: [
    'No se pudo comprobar el vínculo del chat con el CRM',
    'Could not check the chat’s CRM link',
    'Não foi possível verificar o vínculo do chat com o CRM',
  ],
  crm_record_created: ['Registro creado en el CRM', 'CRM record created', 'Registro criado no CRM'],
  crm_record_reconciled: [
    'Registro del CRM encontrado',
    'CRM record found again',
    'Registro do CRM encontrado',
  ],
  crm_record_refused: [
    'Bitrix24 rechazó el registro del CRM',
    'Bitrix24 refused the CRM record',
    'O Bitrix24 recusou o registro do CRM',
  ],
  crm_record_unconfirmed: [
    'Registro del CRM sin confirmar',
    'CRM record unconfirmed',
    'Registro do CRM não confirmado',
  ],
  channel_created: ['Canal creado', 'Channel created', 'Canal criado'],
  channel_activated: ['Canal activado', 'Channel activated', 'Canal ativado'],
  channel_deactivated: ['Canal desactivado', 'Channel deactivated', 'Canal desativado'],
  channel_interrupted: ['Canal interrumpido', 'Channel interrupted', 'Canal interrompido'],
  channel_recovered: ['Canal recuperado', 'Channel recovered', 'Canal recuperado'],
  channel_deleted: ['Canal eliminado', 'Channel deleted', 'Canal excluído'],
  portal_install_event: ['Evento de instalación', 'Install event', 'Evento de instalação'],
  portal_installed: ['Aplicación instalada', 'App installed', 'Aplicativo instalado'],
  portal_extras: [
    'Plantillas añadidas al chat, al CRM y a las automatizaciones',
    'Templates added to the chat, the CRM and automation rules',
    'Modelos adicionados ao chat, ao CRM e às automações',
  ],
  portal_setup_failed: [
    'Falló la preparación del portal',
    'Portal setup failed',
    'Falha na preparação do portal',
  ],
  portal_uninstalled: ['Aplicación desinstalada', 'App uninstalled', 'Aplicativo desinstalado'],
  portal_events_bound: ['Eventos del CRM suscritos', 'CRM events subscribed', 'Eventos do CRM assinados'],
  portal_events_bind_failed: [
    'No se pudieron suscribir los eventos del CRM',
    'CRM events could not be subscribed',
    'Não foi possível assinar os eventos do CRM',
  ],
  template_submitted: [
    'Plantilla enviada a revisión',
    'Template submitted for review',
    'Modelo enviado para revisão',
  ],
  template_submit_failed: [
    'Gupshup no aceptó la plantilla',
    'Gupshup did not accept the template',
    'O Gupshup não aceitou o modelo',
  ],
  template_approved: ['Plantilla aprobada', 'Template approved', 'Modelo aprovado'],
  template_rejected: ['Plantilla rechazada', 'Template rejected', 'Modelo rejeitado'],
  template_paused: ['Plantilla en pausa', 'Template paused', 'Modelo pausado'],
  template_disabled: ['Plantilla deshabilitada', 'Template disabled', 'Modelo desativado'],
  template_status_changed: [
    'Estado de la plantilla cambiado',
    'Template status changed',
    'Status do modelo alterado',
  ],
  template_category_changed: [
    'Categoría de la plantilla cambiada por WhatsApp',
    'Template category changed by WhatsApp',
    'Categoria do modelo alterada pelo WhatsApp',
  ],
  template_imported: [
    'Plantilla importada de Gupshup',
    'Template imported from Gupshup',
    'Modelo importado do Gupshup',
  ],
  template_deleted: ['Plantilla eliminada', 'Template deleted', 'Modelo excluído'],
  template_delete_failed: [
    'Gupshup no eliminó la plantilla',
    'Gupshup did not delete the template',
    'O Gupshup não excluiu o modelo',
  ],
  digest_created: [
    'Resumen de notificaciones creado',
    'Notification digest created',
    'Resumo de notificações criado',
  ],
  digest_send_failed: [
    'No se pudo enviar el resumen a un destinatario',
    'The digest could not be sent to a recipient',
    'Não foi possível enviar o resumo a um destinatário',
  ],
  sms_received: ['SMS recibido para enviar', 'SMS received to send', 'SMS recebido para enviar'],
  sms_refused: ['SMS no enviado', 'SMS not sent', 'SMS não enviado'],
  sms_accepted: ['SMS aceptado por SMSAPI', 'SMS accepted by SMSAPI', 'SMS aceito pela SMSAPI'],
  sms_delivered: ['SMS entregado', 'SMS delivered', 'SMS entregue'],
  sms_undelivered: ['SMS no entregado', 'SMS undelivered', 'SMS não entregue'],
  sms_status_reported: [
    'Estado del SMS enviado a Bitrix24',
    'SMS status sent to Bitrix24',
    'Status do SMS enviado ao Bitrix24',
  ],
  sms_provider_registered: [
    'Proveedor de SMS registrado en Bitrix24',
    'SMS provider registered in Bitrix24',
    'Provedor de SMS registrado no Bitrix24',
  ],
  sms_settings_saved: ['Ajustes de SMS guardados', 'SMS settings saved', 'Configurações de SMS salvas'],
  sms_fallback: [
    'No está en WhatsApp: se envía por SMS',
    'Not on WhatsApp: sent by SMS instead',
    'Não está no WhatsApp: enviado por SMS',
  ],
  campaign_paused: ['Campaña pausada', 'Campaign paused', 'Campanha pausada'],
  campaign_slowed: [
    'Campaña más lenta (Gupshup pidió esperar)',
    'Campaign slowed down (Gupshup asked to wait)',
    'Campanha mais lenta (o Gupshup pediu para esperar)',
  ],
  campaign_finished: ['Campaña terminada', 'Campaign finished', 'Campanha concluída'],
  held_no_units: ['Retenido: no quedan mensajes', 'Held: no messages left', 'Retida: não restam mensagens'],
  hold_released: [
    'Liberado: hay mensajes de nuevo',
    'Released: messages available again',
    'Liberada: há mensagens de novo',
  ],
  unit_settled: ['Mensaje cobrado del saldo', 'Message charged to the balance', 'Mensagem cobrada do saldo'],
  unit_released: [
    'Mensaje devuelto al saldo',
    'Message given back to the balance',
    'Mensagem devolvida ao saldo',
  ],
} satisfies Record<(typeof TRACE_STEPS)[number], Entry>;
