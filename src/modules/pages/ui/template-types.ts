import type {
  TemplateButton,
  TemplateCategory,
  TemplateParam,
  TemplateType,
} from '../../templates/template-model.js';

/**
 * The templates API as the pages read it (issue 11; routes in modules/templates/templates.routes.ts,
 * contract in the helpers' notes). Types only; ../api-contract.ts checks that the templates service
 * returns what these say.
 */

export type { TemplateButton, TemplateCategory, TemplateParam, TemplateType };

/** Ours: 'draft' until the submit job reached Gupshup ('submitting' while it runs), then Gupshup's. */
export type TemplateStatus =
  | 'draft'
  | 'submitting'
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'paused'
  | 'disabled'
  | 'failed'
  | 'in_appeal'
  | 'deleted';

export interface TemplateView {
  id: string;
  channelId: string;
  elementName: string;
  displayName: string;
  language: string;
  category: TemplateCategory;
  type: TemplateType;
  header: string | null;
  /** The text header's own {{1}}. */
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
  /** A deletion was asked for and has not reached Gupshup yet. */
  deleting?: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface TemplateList {
  templates: TemplateView[];
}

/** What POST /templates takes. */
export interface TemplateDraft {
  channelId: string;
  elementName: string;
  displayName: string;
  language: string;
  category: string;
  type: string;
  header?: string | null;
  headerParam?: TemplateParam | null;
  body: string;
  footer?: string | null;
  buttons?: TemplateButton[];
  params: TemplateParam[];
  sampleMediaId?: string | null;
}

/** One field the server refused, with its words in the caller's language. */
export interface FieldIssue {
  field: string;
  code: string;
  message: string;
}

/** GET /templates/sent/:messageId: where a template message the viewer sent stands. */
export interface SentTemplate {
  messageId: number;
  status: string;
  error: { code: string | null; detail: string | null } | null;
  sentAt: string | null;
  failedAt: string | null;
}
