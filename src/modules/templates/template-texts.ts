/**
 * What each template rule says to people, in es, en and pt (template-model.ts RULE_CODES; the
 * `satisfies` below fails the typecheck when a code has no words). `{name}` takes the issue's params;
 * `{#}` is the 1-based position of the parameter or button the issue's field names. PURE: the pages'
 * bundle shows the same messages live.
 */
import type { RuleCode, RuleIssue } from './template-model.js';

type Lang = 'es' | 'en' | 'pt';
type Entry = [es: string, en: string, pt: string];

export const RULE_TEXTS = {
  element_name_required: [
    'Escriba el nombre del elemento (el nombre para WhatsApp)',
    'Enter the element name (the name WhatsApp knows the template by)',
    'Escreva o nome do elemento (o nome para o WhatsApp)',
  ],
  element_name_format: [
    'El nombre del elemento solo admite minúsculas, números y guion bajo (_), sin espacios',
    'The element name takes only lowercase letters, digits and underscores (_), no spaces',
    'O nome do elemento só aceita minúsculas, números e sublinhado (_), sem espaços',
  ],
  element_name_too_long: [
    'El nombre del elemento tiene {length} caracteres; el máximo es {max}',
    'The element name has {length} characters; at most {max} are allowed',
    'O nome do elemento tem {length} caracteres; o máximo é {max}',
  ],
  element_name_taken: [
    'Este canal ya tiene una plantilla con este nombre de elemento en este idioma',
    'This channel already has a template with this element name in this language',
    'Este canal já tem um modelo com este nome de elemento neste idioma',
  ],
  display_name_required: [
    'Escriba el nombre que verán los agentes',
    'Enter the name agents will see',
    'Escreva o nome que os agentes verão',
  ],
  display_name_too_long: [
    'El nombre visible tiene {length} caracteres; el máximo es {max}',
    'The display name has {length} characters; at most {max} are allowed',
    'O nome visível tem {length} caracteres; o máximo é {max}',
  ],
  language_required: ['Elija el idioma', 'Choose the language', 'Escolha o idioma'],
  language_format: [
    '«{language}» no es un código de idioma de WhatsApp (por ejemplo es, en, en_US, pt_BR)',
    '“{language}” is not a WhatsApp language code (for example es, en, en_US, pt_BR)',
    '“{language}” não é um código de idioma do WhatsApp (por exemplo es, en, en_US, pt_BR)',
  ],
  category_invalid: [
    'Elija la categoría: Marketing, Utility o Authentication',
    'Choose the category: Marketing, Utility or Authentication',
    'Escolha a categoria: Marketing, Utility ou Authentication',
  ],
  type_invalid: [
    'Elija el tipo: texto, imagen, documento o video',
    'Choose the type: text, image, document or video',
    'Escolha o tipo: texto, imagem, documento ou vídeo',
  ],
  header_too_long: [
    'El encabezado tiene {length} caracteres; el máximo es {max}',
    'The header has {length} characters; at most {max} are allowed',
    'O cabeçalho tem {length} caracteres; o máximo é {max}',
  ],
  header_newline: [
    'El encabezado debe ser una sola línea',
    'The header must be a single line',
    'O cabeçalho deve ter uma só linha',
  ],
  header_media_type: [
    'Un encabezado de texto solo va con el tipo texto: este tipo lleva el archivo como encabezado',
    'A text header only goes with the text type: this type has its file as the header',
    'Um cabeçalho de texto só vai com o tipo texto: este tipo leva o arquivo como cabeçalho',
  ],
  header_too_many_variables: [
    'El encabezado admite una sola variable ({{1}}); tiene {count}',
    'The header takes one variable ({{1}}) at most; it has {count}',
    'O cabeçalho aceita uma só variável ({{1}}); tem {count}',
  ],
  header_variable_number: [
    'La variable del encabezado debe ser {{1}}, no {{{n}}}',
    'The header’s variable must be {{1}}, not {{{n}}}',
    'A variável do cabeçalho deve ser {{1}}, não {{{n}}}',
  ],
  header_param_required: [
    'El encabezado tiene {{1}}: dele un nombre y un ejemplo',
    'The header has {{1}}: give it a name and an example',
    'O cabeçalho tem {{1}}: dê a ele um nome e um exemplo',
  ],
  header_param_unused: [
    'El encabezado no tiene variable: quite su nombre y ejemplo',
    'The header has no variable: remove its name and example',
    'O cabeçalho não tem variável: retire o nome e o exemplo',
  ],
  body_required: ['Escriba el texto del mensaje', 'Enter the message text', 'Escreva o texto da mensagem'],
  body_too_long: [
    'El texto tiene {length} caracteres; el máximo es {max}',
    'The text has {length} characters; at most {max} are allowed',
    'O texto tem {length} caracteres; o máximo é {max}',
  ],
  footer_too_long: [
    'El pie tiene {length} caracteres; el máximo es {max}',
    'The footer has {length} characters; at most {max} are allowed',
    'O rodapé tem {length} caracteres; o máximo é {max}',
  ],
  footer_has_variable: [
    'El pie no admite variables ({{…}})',
    'The footer cannot have variables ({{…}})',
    'O rodapé não aceita variáveis ({{…}})',
  ],
  placeholder_malformed: [
    '«{text}» no es una variable: escríbalas como {{1}}, {{2}}… sin espacios',
    '“{text}” is not a variable: write them as {{1}}, {{2}}… without spaces',
    '“{text}” não é uma variável: escreva-as como {{1}}, {{2}}… sem espaços',
  ],
  placeholder_missing: [
    'Falta la variable {{{n}}}: deben ir desde {{1}} sin saltos',
    'Placeholder {{{n}}} is missing: placeholders must run from {{1}} without gaps',
    'Falta a variável {{{n}}}: elas devem ir de {{1}} sem saltos',
  ],
  placeholder_repeated: [
    'La variable {{{n}}} aparece más de una vez: cada una va una sola vez',
    'Placeholder {{{n}}} appears more than once: each may appear only once',
    'A variável {{{n}}} aparece mais de uma vez: cada uma vai uma só vez',
  ],
  placeholder_order: [
    'Las variables deben aparecer en orden: la {expected}.ª debe ser {{{expected}}}, no {{{n}}}',
    'Placeholders must appear in order: number {expected} should be {{{expected}}}, not {{{n}}}',
    'As variáveis devem aparecer em ordem: a {expected}.ª deve ser {{{expected}}}, não {{{n}}}',
  ],
  placeholder_at_start: [
    'El texto no puede empezar con una variable',
    'The text cannot start with a placeholder',
    'O texto não pode começar com uma variável',
  ],
  placeholder_at_end: [
    'El texto no puede terminar con una variable (añada, por ejemplo, un punto)',
    'The text cannot end with a placeholder (add a full stop, for example)',
    'O texto não pode terminar com uma variável (acrescente, por exemplo, um ponto)',
  ],
  placeholders_adjacent: [
    'Las variables {{{a}}} y {{{b}}} están juntas: ponga texto entre ellas',
    'Placeholders {{{a}}} and {{{b}}} are side by side: put some text between them',
    'As variáveis {{{a}}} e {{{b}}} estão juntas: coloque texto entre elas',
  ],
  params_count: [
    'El texto tiene {expected} variables y hay {given} parámetros descritos',
    'The text has {expected} placeholders and {given} parameters are described',
    'O texto tem {expected} variáveis e há {given} parâmetros descritos',
  ],
  param_name_required: [
    'Parámetro {{{#}}}: dele un nombre para los agentes',
    'Parameter {{{#}}}: give it a name for the agents',
    'Parâmetro {{{#}}}: dê a ele um nome para os agentes',
  ],
  param_name_too_long: [
    'Parámetro {{{#}}}: el nombre tiene {length} caracteres; el máximo es {max}',
    'Parameter {{{#}}}: the name has {length} characters; at most {max} are allowed',
    'Parâmetro {{{#}}}: o nome tem {length} caracteres; o máximo é {max}',
  ],
  param_name_repeated: [
    'Parámetro {{{#}}}: otro parámetro ya se llama «{name}»',
    'Parameter {{{#}}}: another parameter is already called “{name}”',
    'Parâmetro {{{#}}}: outro parâmetro já se chama “{name}”',
  ],
  param_example_required: [
    'Parámetro {{{#}}}: escriba un ejemplo (WhatsApp lo pide para revisar la plantilla)',
    'Parameter {{{#}}}: enter an example (WhatsApp needs it to review the template)',
    'Parâmetro {{{#}}}: escreva um exemplo (o WhatsApp pede para revisar o modelo)',
  ],
  param_example_format: [
    'Parámetro {{{#}}}: el ejemplo no puede tener saltos de línea, tabulaciones ni 4 espacios seguidos',
    'Parameter {{{#}}}: the example cannot have line breaks, tabs or 4 spaces in a row',
    'Parâmetro {{{#}}}: o exemplo não pode ter quebras de linha, tabulações nem 4 espaços seguidos',
  ],
  buttons_mixed: [
    'Use respuestas rápidas o botones de acción (enlace, teléfono, copiar código), nunca ambos',
    'Use quick replies or call-to-action buttons (link, phone, copy code), never both',
    'Use respostas rápidas ou botões de ação (link, telefone, copiar código), nunca ambos',
  ],
  buttons_too_many: [
    'Hay {count} botones; el máximo es {max}',
    'There are {count} buttons; at most {max} are allowed',
    'Há {count} botões; o máximo é {max}',
  ],
  quick_replies_too_many: [
    'Hay {count} respuestas rápidas; el máximo es {max}',
    'There are {count} quick replies; at most {max} are allowed',
    'Há {count} respostas rápidas; o máximo é {max}',
  ],
  url_buttons_too_many: [
    'Hay {count} botones de enlace; el máximo es {max}',
    'There are {count} link buttons; at most {max} are allowed',
    'Há {count} botões de link; o máximo é {max}',
  ],
  phone_buttons_too_many: [
    'Hay {count} botones de llamada; el máximo es {max}',
    'There are {count} call buttons; at most {max} is allowed',
    'Há {count} botões de chamada; o máximo é {max}',
  ],
  copy_code_buttons_too_many: [
    'Hay {count} botones de copiar código; el máximo es {max}',
    'There are {count} copy-code buttons; at most {max} is allowed',
    'Há {count} botões de copiar código; o máximo é {max}',
  ],
  button_type_invalid: [
    'Botón {#}: tipo desconocido',
    'Button {#}: unknown type',
    'Botão {#}: tipo desconhecido',
  ],
  button_text_required: [
    'Botón {#}: escriba su texto',
    'Button {#}: enter its text',
    'Botão {#}: escreva o texto',
  ],
  button_text_too_long: [
    'Botón {#}: el texto tiene {length} caracteres; el máximo es {max}',
    'Button {#}: the text has {length} characters; at most {max} are allowed',
    'Botão {#}: o texto tem {length} caracteres; o máximo é {max}',
  ],
  button_text_repeated: [
    'Botón {#}: otro botón ya dice «{text}»',
    'Button {#}: another button already says “{text}”',
    'Botão {#}: outro botão já diz “{text}”',
  ],
  button_url_invalid: [
    'Botón {#}: el enlace debe ser una dirección https completa (https://…)',
    'Button {#}: the link must be a full https address (https://…)',
    'Botão {#}: o link deve ser um endereço https completo (https://…)',
  ],
  button_url_variable: [
    'Botón {#}: el enlace admite una sola variable, {{1}}, y solo al final',
    'Button {#}: the link takes one variable, {{1}}, and only at its end',
    'Botão {#}: o link aceita uma só variável, {{1}}, e só no final',
  ],
  button_url_example_required: [
    'Botón {#}: el enlace tiene {{1}}: escriba un enlace de ejemplo completo',
    'Button {#}: the link has {{1}}: enter a full example link',
    'Botão {#}: o link tem {{1}}: escreva um link de exemplo completo',
  ],
  button_url_example_invalid: [
    'Botón {#}: el ejemplo debe ser el enlace completo, empezando por {prefix}',
    'Button {#}: the example must be the full link, starting with {prefix}',
    'Botão {#}: o exemplo deve ser o link completo, começando por {prefix}',
  ],
  button_phone_invalid: [
    'Botón {#}: el teléfono debe ir en formato internacional, por ejemplo +5491123456789',
    'Button {#}: the phone number must be in international format, for example +5491123456789',
    'Botão {#}: o telefone deve estar no formato internacional, por exemplo +5511987654321',
  ],
  copy_code_example_required: [
    'Botón {#}: escriba un código de ejemplo',
    'Button {#}: enter an example code',
    'Botão {#}: escreva um código de exemplo',
  ],
  copy_code_example_too_long: [
    'Botón {#}: el código de ejemplo admite hasta {max} caracteres',
    'Button {#}: the example code takes at most {max} characters',
    'Botão {#}: o código de exemplo aceita até {max} caracteres',
  ],
  copy_code_marketing_only: [
    'Botón {#}: copiar código solo va en plantillas de Marketing',
    'Button {#}: copy code only goes in Marketing templates',
    'Botão {#}: copiar código só vai em modelos de Marketing',
  ],
  otp_authentication_only: [
    'Botón {#}: el botón de código de un solo uso solo va en plantillas de Authentication',
    'Button {#}: the one-time code button only goes in Authentication templates',
    'Botão {#}: o botão de código único só vai em modelos de Authentication',
  ],
  otp_type_invalid: [
    'Botón {#}: el código de un solo uso se entrega con el botón copiar código',
    'Button {#}: the one-time code is delivered with the copy-code button',
    'Botão {#}: o código único é entregue com o botão copiar código',
  ],
  auth_text_only: [
    'Una plantilla de Authentication solo puede ser de texto',
    'An Authentication template can only be of the text type',
    'Um modelo de Authentication só pode ser do tipo texto',
  ],
  auth_no_header: [
    'Una plantilla de Authentication no lleva encabezado',
    'An Authentication template has no header',
    'Um modelo de Authentication não leva cabeçalho',
  ],
  auth_no_footer: [
    'Una plantilla de Authentication no lleva pie',
    'An Authentication template has no footer',
    'Um modelo de Authentication não leva rodapé',
  ],
  auth_language: [
    'Las plantillas de Authentication están disponibles en español, inglés y portugués, no en «{language}»',
    'Authentication templates are available in Spanish, English and Portuguese, not in “{language}”',
    'Os modelos de Authentication estão disponíveis em espanhol, inglês e português, não em “{language}”',
  ],
  auth_body_fixed: [
    'El texto de una plantilla de Authentication es fijo: «{text}»',
    'The text of an Authentication template is fixed: “{text}”',
    'O texto de um modelo de Authentication é fixo: “{text}”',
  ],
  auth_otp_button: [
    'Una plantilla de Authentication lleva exactamente un botón: copiar código',
    'An Authentication template has exactly one button: copy code',
    'Um modelo de Authentication leva exatamente um botão: copiar código',
  ],
  sample_media_required: [
    'Suba un archivo de ejemplo para el encabezado (WhatsApp lo pide para revisar la plantilla)',
    'Upload a sample file for the header (WhatsApp needs it to review the template)',
    'Envie um arquivo de exemplo para o cabeçalho (o WhatsApp pede para revisar o modelo)',
  ],
  sample_media_unused: [
    'Una plantilla de texto no lleva archivo de encabezado',
    'A text template has no header file',
    'Um modelo de texto não leva arquivo de cabeçalho',
  ],
  sample_media_not_found: [
    'El archivo de ejemplo no existe: súbalo de nuevo',
    'The sample file does not exist: upload it again',
    'O arquivo de exemplo não existe: envie-o de novo',
  ],
  sample_media_wrong_type: [
    'El archivo de ejemplo ({mime}) no corresponde al tipo {type}',
    'The sample file ({mime}) does not match the {type} type',
    'O arquivo de exemplo ({mime}) não corresponde ao tipo {type}',
  ],
  line_unknown: [
    'El portal no tiene el canal abierto {line}',
    'The portal has no open line {line}',
    'O portal não tem o canal aberto {line}',
  ],
  channel_no_app_id: [
    'El canal no tiene el App ID de Gupshup: edite el canal y añádalo para gestionar plantillas',
    'The channel has no Gupshup App ID: edit the channel and add it to manage templates',
    'O canal não tem o App ID do Gupshup: edite o canal e adicione-o para gerenciar modelos',
  ],
} satisfies Record<RuleCode, Entry>;

const INDEX: Record<Lang, 0 | 1 | 2> = { es: 0, en: 1, pt: 2 };

/** The issue in words, in `lang`, with its numbers filled in. */
export function ruleMessage(lang: Lang, issue: Pick<RuleIssue, 'code' | 'field' | 'params'>): string {
  const entry: Entry | undefined = (RULE_TEXTS as Record<string, Entry>)[issue.code];
  const template = entry?.[INDEX[lang]] ?? issue.code;
  const position = /^(?:params|buttons)\.(\d+)/.exec(issue.field)?.[1];
  const values: Record<string, string | number> = {
    ...(position !== undefined ? { '#': Number(position) + 1 } : {}),
    ...issue.params,
  };
  return template.replace(/\{([#a-z]+)\}/g, (whole, key: string) =>
    values[key] !== undefined ? String(values[key]) : whole,
  );
}
