import type { TemplateRow, TemplateStatus } from '../../shared/db/schema.js';
import type { TemplateButton, TemplateCategory, TemplateParam, TemplateType } from './template-model.js';

/**
 * What the API answers for a template (the helpers' contract, docs/architecture.md "Templates").
 * Beyond the contract: `headerParam` (the text header's own {{1}}), `gupshupId` (the id a send
 * uses) and `deleting` (a deletion was asked for and has not reached Gupshup yet).
 */
export interface TemplateView {
  id: string;
  channelId: string;
  elementName: string;
  displayName: string;
  language: string;
  category: TemplateCategory;
  type: TemplateType;
  header: string | null;
  headerParam: TemplateParam | null;
  body: string;
  footer: string | null;
  buttons: TemplateButton[];
  params: TemplateParam[];
  sampleMediaId: string | null;
  status: TemplateStatus;
  statusReason: string | null;
  active: boolean;
  source: 'app' | 'console';
  lineIds: number[];
  gupshupId: string | null;
  deleting: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What the caller sends to create one (POST /templates). */
export interface TemplateDraft {
  channelId: string;
  elementName: string;
  displayName: string;
  language: string;
  category: string;
  type: string;
  header?: string | null | undefined;
  headerParam?: TemplateParam | null | undefined;
  body: string;
  footer?: string | null | undefined;
  buttons?: TemplateButton[] | undefined;
  params: TemplateParam[];
  sampleMediaId?: string | null | undefined;
}

export function toView(row: TemplateRow, lineIds: number[]): TemplateView {
  return {
    id: row.id,
    channelId: row.channel_id,
    elementName: row.element_name,
    displayName: row.display_name,
    language: row.language,
    category: row.category,
    type: row.template_type,
    header: row.header,
    headerParam: (row.header_param as TemplateParam | null) ?? null,
    body: row.body,
    footer: row.footer,
    buttons: (row.buttons as TemplateButton[] | null) ?? [],
    params: (row.params as TemplateParam[] | null) ?? [],
    sampleMediaId: row.sample_media_id,
    status: row.status,
    statusReason: row.status_reason,
    active: row.active,
    source: row.source,
    lineIds: [...lineIds].sort((a, b) => a - b),
    gupshupId: row.gupshup_id,
    deleting: row.deleted_at !== null && row.status !== 'deleted',
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const GUPSHUP_STATUS: Record<string, TemplateStatus> = {
  PENDING: 'pending',
  APPROVED: 'approved',
  REJECTED: 'rejected',
  FAILED: 'failed',
  PAUSED: 'paused',
  DISABLED: 'disabled',
  DELETED: 'deleted',
  IN_APPEAL: 'in_appeal',
  // Going away and no longer sendable: as good as deleted for the agents.
  PENDING_DELETION: 'deleted',
  // Gupshup's "too many templates" refusal of a submission.
  LIMIT_EXCEEDED: 'failed',
};

/** Our status for one of Gupshup's (any case); undefined for one we do not know (left as it was). */
export function statusFromGupshup(status: string | undefined): TemplateStatus | undefined {
  return status ? GUPSHUP_STATUS[status.toUpperCase()] : undefined;
}

/**
 * The examples of a template's `{{n}}` read back from Gupshup's sample text (console templates):
 * the text around the placeholders must match; otherwise empty examples.
 */
export function examplesFrom(text: string, sample: string | undefined): string[] {
  const numbers = [...text.matchAll(/\{\{([1-9]\d{0,2})\}\}/g)].map((m) => Number(m[1]));
  if (!sample || numbers.length === 0) return numbers.map(() => '');
  const escaped = text
    .split(/\{\{[1-9]\d{0,2}\}\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const m = new RegExp(`^${escaped.join('(.+?)')}$`, 's').exec(sample);
  const byNumber = new Map<number, string>();
  numbers.forEach((n, i) => {
    if (!byNumber.has(n)) byNumber.set(n, m?.[i + 1] ?? '');
  });
  const max = Math.max(...numbers);
  return Array.from({ length: max }, (_, i) => byNumber.get(i + 1) ?? '');
}
