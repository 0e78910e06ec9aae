import type { Lang } from '../../shared/i18n.js';

/**
 * The words of campaign lists in es, en and pt: why a row was rejected (one per rejection code, the
 * page shows them and rejected.csv carries them) and why a whole file was refused. `{name}` values
 * are filled in.
 */
type Entry = Record<Lang, string>;

const TEXTS: Record<string, Entry> = {
  phone_missing: {
    es: 'Falta el número de teléfono.',
    en: 'The phone number is missing.',
    pt: 'Falta o número de telefone.',
  },
  phone_invalid: {
    es: 'El número no es un celular válido.',
    en: 'The number is not a valid mobile number.',
    pt: 'O número não é um celular válido.',
  },
  duplicate: {
    es: 'El número ya está en una línea anterior de la lista.',
    en: 'The number is already on an earlier line of the list.',
    pt: 'O número já está em uma linha anterior da lista.',
  },
  opted_out: {
    es: 'El cliente pidió no recibir campañas.',
    en: 'The customer asked not to get campaigns.',
    pt: 'O cliente pediu para não receber campanhas.',
  },
  param_missing: {
    es: 'Falta un valor que la plantilla necesita.',
    en: 'A value the template needs is missing.',
    pt: 'Falta um valor de que o modelo precisa.',
  },
  template_unknown: {
    es: 'No hay una plantilla con ese código en este canal.',
    en: 'There is no template with that code on this channel.',
    pt: 'Não há um modelo com esse código neste canal.',
  },
  template_not_approved: {
    es: 'La plantilla no está aprobada o está desactivada.',
    en: 'The template is not approved or is switched off.',
    pt: 'O modelo não está aprovado ou está desativado.',
  },
  too_many_params: {
    es: 'La línea trae más valores de los que la plantilla usa.',
    en: 'The line gives more values than the template uses.',
    pt: 'A linha traz mais valores do que o modelo usa.',
  },
  too_many_rows: {
    es: 'La lista tiene más de {max} filas. Divídala en varias campañas.',
    en: 'The list has more than {max} rows. Split it into several campaigns.',
    pt: 'A lista tem mais de {max} linhas. Divida-a em várias campanhas.',
  },
  stalled: {
    es: 'La subida del archivo se detuvo más de {seconds} s; vuelva a intentarlo.',
    en: 'The file upload stalled for more than {seconds} s; try again.',
    pt: 'O envio do arquivo parou por mais de {seconds} s; tente de novo.',
  },
  uploads_busy: {
    es: 'Se están leyendo otras listas en este momento; vuelva a intentarlo en unos segundos.',
    en: 'Other lists are being read right now; try again in a few seconds.',
    pt: 'Outras listas estão sendo lidas neste momento; tente de novo em alguns segundos.',
  },
  too_many_bytes: {
    es: 'El archivo pesa más de {mb} MB.',
    en: 'The file is larger than {mb} MB.',
    pt: 'O arquivo tem mais de {mb} MB.',
  },
  not_csv: {
    es: 'El archivo no es un CSV (texto separado por comas o punto y coma). Guárdelo como CSV desde la hoja de cálculo.',
    en: 'The file is not a CSV (text separated by commas or semicolons). Save it as CSV from the spreadsheet.',
    pt: 'O arquivo não é um CSV (texto separado por vírgulas ou ponto e vírgula). Salve-o como CSV na planilha.',
  },
  no_phone_column: {
    es: 'No hay una columna de teléfono. La primera fila debe nombrar las columnas (telefono, nombre, param1…) o cada línea debe ser "telefono,hsm:codigo:valor1:valor2". Columnas encontradas: {found}.',
    en: 'There is no phone column. The first row must name the columns (phone, name, param1…) or every line must read "phone,hsm:code:value1:value2". Columns found: {found}.',
    pt: 'Não há coluna de telefone. A primeira linha deve nomear as colunas (telefone, nome, param1…) ou cada linha deve ser "telefone,hsm:codigo:valor1:valor2". Colunas encontradas: {found}.',
  },
  empty: {
    es: 'La lista no tiene ninguna fila.',
    en: 'The list has no rows.',
    pt: 'A lista não tem nenhuma linha.',
  },
  malformed: {
    es: 'El CSV está mal formado cerca de la línea {line} (¿comillas sin cerrar?).',
    en: 'The CSV is malformed near line {line} (an unclosed quote?).',
    pt: 'O CSV está malformado perto da linha {line} (aspas não fechadas?).',
  },
  not_draft: {
    es: 'La lista solo se puede cambiar mientras la campaña es un borrador.',
    en: 'The list can only be changed while the campaign is a draft.',
    pt: 'A lista só pode ser alterada enquanto a campanha é um rascunho.',
  },
  list_loading: {
    es: 'La lista se está cargando desde el CRM; espere a que termine.',
    en: 'The list is being loaded from the CRM; wait until it is done.',
    pt: 'A lista está sendo carregada do CRM; espere terminar.',
  },
  list_busy: {
    es: 'Otra lista se está subiendo a esta campaña en este momento; espere a que termine.',
    en: 'Another list is being uploaded to this campaign right now; wait until it is done.',
    pt: 'Outra lista está sendo enviada para esta campanha neste momento; espere terminar.',
  },
  no_template: {
    es: 'Elija primero la plantilla de la campaña (o use líneas "telefono,hsm:codigo:…").',
    en: 'Choose the campaign’s template first (or use "phone,hsm:code:…" lines).',
    pt: 'Escolha primeiro o modelo da campanha (ou use linhas "telefone,hsm:codigo:…").',
  },
  phone_invalid_input: {
    es: 'El número no es válido. Escríbalo con el código de país, p. ej. +54 9 11 1234-5678.',
    en: 'The number is not valid. Write it with the country code, e.g. +54 9 11 1234-5678.',
    pt: 'O número não é válido. Escreva-o com o código do país, p. ex. +55 11 91234-5678.',
  },
};

/** The words for a code in the language, `{name}` values filled; the code itself when unknown. */
export function listText(code: string, lang: Lang, values: Record<string, string | number> = {}): string {
  const entry = TEXTS[code];
  const text = entry ? entry[lang] : code;
  return text.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));
}
