import type { Kysely, Transaction } from 'kysely';
import type { DB, TemplateStatus } from '../../shared/db/schema.js';
import type { TemplateButton, TemplateParam } from './template-model.js';

/** The types and column mapping both template repositories share. */
export type Executor = Kysely<DB> | Transaction<DB>;

/** A template's content as Gupshup holds it (sync). */
export interface TemplateContentPatch {
  header: string | null;
  headerParam: TemplateParam | null;
  body: string;
  footer: string | null;
  buttons: readonly TemplateButton[];
  params: readonly TemplateParam[];
}

export function contentColumns(c: TemplateContentPatch) {
  return {
    header: c.header,
    header_param: c.headerParam ? JSON.stringify(c.headerParam) : null,
    body: c.body,
    footer: c.footer,
    buttons: JSON.stringify(c.buttons),
    params: JSON.stringify(c.params),
  };
}

/** A status change; `reason` replaces the old one (null clears it). */
export interface StatusChange {
  status: TemplateStatus;
  reason: string | null;
}
