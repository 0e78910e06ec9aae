/**
 * The scheduled notifications' API as the Notifications tab reads it (issue 13; routes in
 * modules/notifications/notifications.routes.ts, described in docs/notifications.md). Types only;
 * ../api-contract.ts checks that the services return what these say.
 */

export interface NtfOverview {
  country: string;
  timeZone: string;
  allowedCallingCodes: string[];
  digestIntervalMinutes: number;
  fullService: boolean;
  trial: { endsAt: string; ended: boolean } | null;
  /** Whether digests go out at all: full service, or a trial that has not ended. */
  active: boolean;
  limits: { recipients: number; groups: number };
  usage: { recipients: number; groups: number };
}

export interface NtfGroupRow {
  id: number;
  name: string;
  isDefault: boolean;
  /** Recipients enabled in this group. */
  recipients: number;
  companies: 'all' | number;
}

export interface NtfGroups extends NtfOverview {
  groups: NtfGroupRow[];
}

export interface NtfRecipient {
  id: number;
  firstName: string;
  lastName: string;
  /** E.164, as the server normalised it. */
  phone: string;
  reference: string;
  enabled: boolean;
}

export type NtfPreset = 'working' | 'extended' | 'full_time' | 'custom';

export interface NtfSchedule {
  preset: NtfPreset;
  /** The seed's "LU,MA,MI,JU,VI,SA". */
  days: string;
  from: string;
  to: string;
  holidays: 'skip' | 'allow';
}

export interface NtfGroupReport {
  id: number;
  name: string;
  kind: NtfReportKind;
  enabled: boolean;
  schedule: NtfSchedule;
}

export interface NtfGroupDetail {
  id: number;
  name: string;
  isDefault: boolean;
  allCompanies: boolean;
  companies: NtfCompany[];
  recipients: NtfRecipient[];
  reports: NtfGroupReport[];
}

export interface NtfGroup extends NtfOverview {
  group: NtfGroupDetail;
}

export interface NtfCompany {
  id: number;
  title: string;
}

export type NtfReportKind = 'deal_stage' | 'deal_field_changed' | 'new_lead';
export type NtfParam = 'count' | 'titles' | 'company' | 'link' | 'group';

export interface NtfReport {
  id: number;
  name: string;
  kind: NtfReportKind;
  categoryId: number | null;
  stageId: string | null;
  field: string | null;
  sourceId: string | null;
  templateId: string | null;
  template: { name: string; status: string } | null;
  params: NtfParam[];
}

/** A recipient's digest: its message's status, or failed with a code (ours, Gupshup's or Meta's). */
export type NtfDigestStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'held';
/** The digest as a whole (digests.service.ts `digestStatus`). */
export type NtfDigestOverall = 'sending' | 'sent' | 'partial' | 'failed' | 'held';

/** GET /notification-groups/:id/digests, newest first (routes in notifications/digests.routes.ts). */
export interface NtfDigest {
  id: number;
  reportId: number;
  reportName: string;
  /** `test`: the "Test now" button's, sent at once; `scheduled`: the tick's. */
  kind: 'scheduled' | 'test';
  createdAt: string;
  /** Events told; 0 in a test digest made of the template's examples. */
  events: number;
  status: NtfDigestOverall;
  recipients: Array<{
    /** null once the number was deleted from the portal; the name and number stay as sent. */
    recipientId: number | null;
    name: string;
    phoneMasked: string;
    status: NtfDigestStatus;
    /** The failure's code: shown in words (codes.ts `codeText`). */
    error?: string;
  }>;
}
