/**
 * Texts of the operator page's Notifications section (issue 13 item 5: the seed's "write to
 * support" as an operator action), in es, en and pt; texts.ts hands them to the pages under `opn.`.
 * `{x}` marks a value the page fills in.
 */
type Entry = [es: string, en: string, pt: string];

export const OPERATOR_NOTIFICATION_TEXTS = {
  title: [
    'Notificaciones programadas: portales',
    'Scheduled notifications: portals',
    'Notificações programadas: portais',
  ],
  intro: [
    'Los portales que ya abrieron la pestaña Notificaciones. En la prueba valen 1 número y 1 grupo; los límites de abajo rigen con el servicio completo.',
    'The portals that have opened the Notifications tab. In the trial 1 number and 1 group apply; the limits below apply with the full service.',
    'Os portais que já abriram a aba Notificações. No teste valem 1 número e 1 grupo; os limites abaixo valem com o serviço completo.',
  ],
  search: ['Dominio contiene', 'Domain contains', 'Domínio contém'],
  find: ['Buscar', 'Search', 'Buscar'],
  portal: ['Portal', 'Portal', 'Portal'],
  service: ['Servicio', 'Service', 'Serviço'],
  full: ['Servicio completo', 'Full service', 'Serviço completo'],
  trialDays: ['Prueba: quedan {n} días', 'Trial: {n} days left', 'Teste: restam {n} dias'],
  trialEnded: ['Prueba terminada', 'Trial ended', 'Teste encerrado'],
  uninstalled: ['desinstalado', 'uninstalled', 'desinstalado'],
  numbers: ['Números (usados / permitidos)', 'Numbers (used / allowed)', 'Números (usados / permitidos)'],
  groups: ['Grupos (usados / permitidos)', 'Groups (used / allowed)', 'Grupos (usados / permitidos)'],
  codes: ['Códigos de país', 'Calling codes', 'Códigos de país'],
  change: ['Cambiar', 'Change', 'Alterar'],
  changeLabel: ['Cambiar {domain}', 'Change {domain}', 'Alterar {domain}'],
  dialogTitle: ['Notificaciones de {domain}', 'Notifications of {domain}', 'Notificações de {domain}'],
  maxRecipients: [
    'Números permitidos (servicio completo)',
    'Numbers allowed (full service)',
    'Números permitidos (serviço completo)',
  ],
  maxGroups: [
    'Grupos permitidos (servicio completo)',
    'Groups allowed (full service)',
    'Grupos permitidos (serviço completo)',
  ],
  fullService: [
    'Servicio completo (sin límites de prueba)',
    'Full service (no trial limits)',
    'Serviço completo (sem limites de teste)',
  ],
  codesLegend: [
    'Países de los que se aceptan números',
    'Countries whose numbers are accepted',
    'Países cujos números são aceitos',
  ],
  addCode: ['Código de país (sin +)', 'Calling code (without +)', 'Código de país (sem +)'],
  add: ['Añadir', 'Add', 'Adicionar'],
  removeCode: ['Quitar +{code}', 'Remove +{code}', 'Remover +{code}'],
  badCode: [
    'Código de país: de 1 a 3 cifras sin +, como 54.',
    'Calling code: 1 to 3 digits without +, such as 54.',
    'Código de país: de 1 a 3 dígitos sem +, como 54.',
  ],
  noCodes: [
    'Debe quedar al menos un código de país.',
    'At least one calling code must remain.',
    'Deve restar ao menos um código de país.',
  ],
  badNumber: [
    'Números y grupos: un número entero (grupos: 1 o más).',
    'Numbers and groups: a whole number (groups: 1 or more).',
    'Números e grupos: um número inteiro (grupos: 1 ou mais).',
  ],
  saved: ['Guardado: {domain}.', 'Saved: {domain}.', 'Salvo: {domain}.'],
  none: [
    'Ningún portal usa todavía las notificaciones.',
    'No portal uses notifications yet.',
    'Nenhum portal usa as notificações ainda.',
  ],
  more: ['Más portales', 'More portals', 'Mais portais'],
} satisfies Record<string, Entry>;
