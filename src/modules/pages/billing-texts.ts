/**
 * Texts of the Billing tab (issue 12) and of the vendor's operator page, in es, en and pt; texts.ts
 * hands them to the pages under `bill.` and `op.`.
 */
type Entry = [es: string, en: string, pt: string];

export const BILLING_TEXTS = {
  balance: ['Saldo de mensajes', 'Message balance', 'Saldo de mensagens'],
  available: ['Disponibles', 'Available', 'Disponíveis'],
  reserved: ['Reservados (en envío)', 'Reserved (being sent)', 'Reservadas (em envio)'],
  debt: ['Adeudados', 'Owed', 'Devidas'],
  expiring: ['Vencen pronto', 'Expiring soon', 'Vencem em breve'],
  expiringNone: [
    'Ningún paquete vence en los próximos 30 días.',
    'No pack expires in the next 30 days.',
    'Nenhum pacote vence nos próximos 30 dias.',
  ],
  expiresOn: [
    '{n} mensajes vencen el {date}',
    '{n} messages expire on {date}',
    '{n} mensagens vencem em {date}',
  ],
  packs: ['Paquetes de mensajes', 'Message packs', 'Pacotes de mensagens'],
  packsEmpty: [
    'No hay paquetes a la venta por ahora.',
    'No packs are on sale right now.',
    'Não há pacotes à venda no momento.',
  ],
  packsFailed: [
    'No se pudieron cargar los paquetes: {error}',
    'The packs could not be loaded: {error}',
    'Não foi possível carregar os pacotes: {error}',
  ],
  packMessages: ['{n} mensajes', '{n} messages', '{n} mensagens'],
  packValidity: ['válidos {n} días', 'valid {n} days', 'válidas por {n} dias'],
  payWith: ['Pagar con', 'Pay with', 'Pagar com'],
  buy: ['Comprar', 'Buy', 'Comprar'],
  redirecting: ['Abriendo la página de pago…', 'Opening the payment page…', 'Abrindo a página de pagamento…'],
  continuePayment: ['Continuar al pago', 'Continue to payment', 'Continuar para o pagamento'],
  checkoutFailed: [
    'No se pudo iniciar el pago: {error}',
    'The payment could not be started: {error}',
    'Não foi possível iniciar o pagamento: {error}',
  ],
  orders: ['Pedidos y pagos', 'Orders and payments', 'Pedidos e pagamentos'],
  ordersEmpty: ['Todavía no hay pedidos.', 'No orders yet.', 'Ainda não há pedidos.'],
  ordersFailed: [
    'No se pudieron cargar los pedidos: {error}',
    'The orders could not be loaded: {error}',
    'Não foi possível carregar os pedidos: {error}',
  ],
  orderDate: ['Fecha', 'Date', 'Data'],
  orderWhat: ['Concepto', 'Item', 'Item'],
  orderProvider: ['Medio', 'Paid with', 'Meio'],
  orderStatus: ['Estado', 'Status', 'Status'],
  orderAmount: ['Importe', 'Amount', 'Valor'],
  orderUnits: ['Mensajes', 'Messages', 'Mensagens'],
  orderPaid: ['Pagado', 'Paid on', 'Pago em'],
  receipt: ['Recibo', 'Receipt', 'Recibo'],
  status_pending: ['Pendiente', 'Pending', 'Pendente'],
  status_paid: ['Pagado', 'Paid', 'Pago'],
  status_failed: ['Fallido', 'Failed', 'Falhou'],
  status_cancelled: ['Cancelado', 'Cancelled', 'Cancelado'],
  status_refunded: ['Reembolsado', 'Refunded', 'Reembolsado'],
  status_partially_refunded: ['Reembolso parcial', 'Partly refunded', 'Reembolso parcial'],
  status_disputed: ['En disputa', 'Disputed', 'Em disputa'],
  status_expired: ['Vencido', 'Expired', 'Expirado'],
  usage: ['Consumo de los últimos 30 días', 'Use over the last 30 days', 'Consumo dos últimos 30 dias'],
  usageSummary: [
    'Mensajes enviados por día y canal, últimos 30 días: {total} en total. {channels}',
    'Messages sent per day and channel, last 30 days: {total} in all. {channels}',
    'Mensagens enviadas por dia e canal, últimos 30 dias: {total} no total. {channels}',
  ],
  usageEmpty: [
    'No se enviaron mensajes en los últimos 30 días.',
    'No messages were sent in the last 30 days.',
    'Nenhuma mensagem foi enviada nos últimos 30 dias.',
  ],
  usageTable: ['Ver como tabla', 'Show as a table', 'Ver como tabela'],
  usageFailed: [
    'No se pudo cargar el consumo: {error}',
    'The use could not be loaded: {error}',
    'Não foi possível carregar o consumo: {error}',
  ],
  day: ['Día', 'Day', 'Dia'],
  noChannel: ['Sin canal', 'No channel', 'Sem canal'],
  total: ['Total', 'Total', 'Total'],
  export: ['Exportar (CSV)', 'Export (CSV)', 'Exportar (CSV)'],
  exportFrom: ['Desde', 'From', 'De'],
  exportTo: ['Hasta', 'To', 'Até'],
  exportLedger: ['Movimientos', 'Ledger', 'Movimentos'],
  exportUsage: ['Consumo', 'Use', 'Consumo'],
  exportFailed: [
    'No se pudo exportar: {error}',
    'The export failed: {error}',
    'Não foi possível exportar: {error}',
  ],
  threshold: ['Aviso de saldo bajo', 'Low-balance warning', 'Aviso de saldo baixo'],
  thresholdHelp: [
    'Los administradores reciben una notificación de Bitrix24 cuando quedan menos mensajes que este número. Vacío: sin aviso.',
    'Admins get a Bitrix24 notification when fewer messages than this are left. Empty: no warning.',
    'Os administradores recebem uma notificação do Bitrix24 quando restam menos mensagens que este número. Vazio: sem aviso.',
  ],
  thresholdLabel: [
    'Avisar por debajo de (mensajes)',
    'Warn below (messages)',
    'Avisar abaixo de (mensagens)',
  ],
  thresholdBad: [
    'Escriba un número entero de 0 o más, o déjelo vacío.',
    'Enter a whole number, 0 or more, or leave it empty.',
    'Digite um número inteiro, 0 ou mais, ou deixe vazio.',
  ],
  thresholdLoadFailed: [
    'No se pudo leer el aviso de saldo bajo: {error}',
    'The low-balance warning could not be read: {error}',
    'Não foi possível ler o aviso de saldo baixo: {error}',
  ],
  thresholdSaveFailed: [
    'No se pudo guardar el aviso de saldo bajo: {error}',
    'The low-balance warning could not be saved: {error}',
    'Não foi possível salvar o aviso de saldo baixo: {error}',
  ],
  balanceFailed: [
    'No se pudo cargar el saldo: {error}',
    'The balance could not be loaded: {error}',
    'Não foi possível carregar o saldo: {error}',
  ],
} satisfies Record<string, Entry>;

/**
 * The vendor's operator page behind OPERATOR_TOKEN: the offer (packs, subscription prices); its
 * Notifications section has operator-notifications-texts.ts.
 */
export const OPERATOR_TEXTS = {
  title: ['Operador', 'Operator', 'Operador'],
  token: ['Token de operador', 'Operator token', 'Token de operador'],
  tokenHelp: [
    'Se guarda solo en esta pestaña, en memoria: al recargar hay que escribirlo de nuevo.',
    'Kept only in this tab, in memory: after a reload it has to be entered again.',
    'Fica só nesta aba, em memória: ao recarregar é preciso digitá-lo de novo.',
  ],
  signIn: ['Entrar', 'Sign in', 'Entrar'],
  signOut: ['Salir', 'Sign out', 'Sair'],
  badToken: ['Token rechazado.', 'Token refused.', 'Token recusado.'],
  packs: ['Paquetes', 'Packs', 'Pacotes'],
  newPack: ['Nuevo paquete', 'New pack', 'Novo pacote'],
  name: ['Nombre', 'Name', 'Nome'],
  messages: ['Mensajes', 'Messages', 'Mensagens'],
  price: ['Precio', 'Price', 'Preço'],
  currency: ['Moneda', 'Currency', 'Moeda'],
  validity: ['Validez (días)', 'Validity (days)', 'Validade (dias)'],
  active: ['A la venta', 'On sale', 'À venda'],
  subscription: [
    'Precios de suscripción por canal',
    'Channel subscription prices',
    'Preços de assinatura por canal',
  ],
  months: ['Meses', 'Months', 'Meses'],
  addPrice: ['Añadir precio', 'Add a price', 'Adicionar preço'],
  savePrices: ['Guardar precios', 'Save prices', 'Salvar preços'],
  saved: ['Guardado.', 'Saved.', 'Salvo.'],
  failed: ['No se pudo guardar: {error}', 'Could not save: {error}', 'Não foi possível salvar: {error}'],
  loadFailed: ['No se pudo cargar: {error}', 'Could not load: {error}', 'Não foi possível carregar: {error}'],
  badPrice: [
    'Precio: un importe mayor que 0, como 15 o 15.50.',
    'Price: an amount above 0, such as 15 or 15.50.',
    'Preço: um valor maior que 0, como 15 ou 15.50.',
  ],
} satisfies Record<string, Entry>;
