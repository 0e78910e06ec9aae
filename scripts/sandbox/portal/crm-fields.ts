/**
 * crm.contact.fields (b24restdocs crm/contacts/crm-contact-fields.md): every contact field with
 * `type`, `isRequired`, `isReadOnly`, `isImmutable`, `isMultiple`, `isDynamic` and `title`; custom
 * fields (`UF_CRM_…`, isDynamic) carry their code as `title` and the words people see in `listLabel`,
 * `formLabel` and `filterLabel`. Sandbox choice: a few built-in fields and two custom ones, the
 * checkbox "Acepta SMS" (UF_CRM_SMS_CONSENT) and a text field.
 */
import type { Ctx, Res } from './model.js';

const builtIn = (type: string, title: string, extra: Record<string, unknown> = {}) => ({
  type,
  isRequired: false,
  isReadOnly: false,
  isImmutable: false,
  isMultiple: false,
  isDynamic: false,
  title,
  ...extra,
});
const custom = (type: string, code: string, label: string) => ({
  ...builtIn(type, code, { isDynamic: true }),
  listLabel: label,
  formLabel: label,
  filterLabel: label,
});

const CONTACT_FIELDS: Record<string, unknown> = {
  ID: builtIn('integer', 'ID', { isReadOnly: true }),
  NAME: builtIn('string', 'Nombre'),
  LAST_NAME: builtIn('string', 'Apellido'),
  OPENED: builtIn('char', 'Disponible para todos'),
  EXPORT: builtIn('char', 'Participa en la exportación'),
  ASSIGNED_BY_ID: builtIn('user', 'Responsable'),
  PHONE: builtIn('crm_multifield', 'Teléfono', { isMultiple: true }),
  DATE_CREATE: builtIn('datetime', 'Creado', { isReadOnly: true }),
  UF_CRM_SMS_CONSENT: custom('boolean', 'UF_CRM_SMS_CONSENT', 'Acepta SMS'),
  UF_CRM_NOTE: custom('string', 'UF_CRM_NOTE', 'Nota'),
};

export function mContactFields(_c: Ctx): Res {
  return { result: structuredClone(CONTACT_FIELDS) };
}
