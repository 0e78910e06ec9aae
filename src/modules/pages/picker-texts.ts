/**
 * Texts of the template picker (the open-line chat's and the CRM card's WhatsApp page, issue 11), in
 * es, en and pt; texts.ts hands them to the pages under `picker.`.
 */
type Entry = [es: string, en: string, pt: string];

export const PICKER_TEXTS = {
  title: ['Plantillas de WhatsApp', 'WhatsApp templates', 'Modelos do WhatsApp'],
  notWhatsApp: [
    'Este chat no es una conversación de WhatsApp de la aplicación.',
    'This chat is not a WhatsApp conversation of the app.',
    'Este chat não é uma conversa de WhatsApp do aplicativo.',
  ],
  windowOpen: [
    'La ventana de 24 horas está abierta: puede escribir normalmente o enviar una plantilla.',
    'The 24-hour window is open: write as usual or send a template.',
    'A janela de 24 horas está aberta: escreva normalmente ou envie um modelo.',
  ],
  windowClosed: [
    'Pasaron más de 24 horas desde el último mensaje del cliente: solo una plantilla aprobada puede reabrir la conversación.',
    'More than 24 hours since the customer last wrote: only an approved template can reopen the conversation.',
    'Passaram mais de 24 horas desde a última mensagem do cliente: só um modelo aprovado pode reabrir a conversa.',
  ],
  none: [
    'Esta línea no tiene plantillas aprobadas asignadas.',
    'No approved template is assigned to this line.',
    'Esta linha não tem modelos aprovados atribuídos.',
  ],
  template: ['Plantilla', 'Template', 'Modelo'],
  channel: ['Número de WhatsApp', 'WhatsApp number', 'Número do WhatsApp'],
  phone: ['Teléfono del cliente', 'Customer phone', 'Telefone do cliente'],
  noPhones: [
    'Esta ficha no tiene teléfonos.',
    'This card has no phone numbers.',
    'Esta ficha não tem telefones.',
  ],
  media: ['Archivo del encabezado', 'Header file', 'Arquivo do cabeçalho'],
  preview: ['Vista previa', 'Preview', 'Pré-visualização'],
  send: ['Enviar plantilla', 'Send template', 'Enviar modelo'],
  sent: [
    'Plantilla en cola de envío. Aparecerá en el chat cuando WhatsApp la acepte.',
    'Template queued. It shows in the chat once WhatsApp accepts it.',
    'Modelo na fila. Aparece no chat quando o WhatsApp o aceitar.',
  ],
  fill: ['Complete este parámetro', 'Fill in this parameter', 'Preencha este parâmetro'],
  attach: ['Adjunte el archivo del encabezado', 'Attach the header file', 'Anexe o arquivo do cabeçalho'],
  done: ['Plantilla enviada ({status}).', 'Template sent ({status}).', 'Modelo enviado ({status}).'],
  failed: ['No se envió: {reason}', 'Not sent: {reason}', 'Não enviado: {reason}'],
  noReason: ['sin motivo informado', 'no reason given', 'sem motivo informado'],
} satisfies Record<string, Entry>;
