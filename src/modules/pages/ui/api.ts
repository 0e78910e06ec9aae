import { boot, T } from './page.js';
import type {
  ApiToken,
  CardTemplates,
  Channel,
  ChannelDetails,
  ChannelHealth,
  ChannelSettings,
  ChatTemplates,
  CrmLists,
  CrmSetting,
  Department,
  Items,
  Line,
  LineStatus,
  Me,
  MessagesPage,
  NewToken,
  NumberRequest,
  PortalPlan,
  Roles,
  Role,
  TemplateSent,
  UsersPage,
} from './types.js';
import type {
  Balance,
  BillingSettings,
  CheckoutStarted,
  Consumption,
  Offer,
  Order,
  Provider,
} from './billing-types.js';
import type {
  NtfCompany,
  NtfDigest,
  NtfGroup,
  NtfGroupReport,
  NtfGroups,
  NtfOverview,
  NtfReport,
  NtfSchedule,
} from './notifications-types.js';
import type {
  FieldIssue,
  SentTemplate,
  TemplateDraft,
  TemplateList,
  TemplateView,
} from './template-types.js';

/**
 * The JSON API as the pages call it: with the Bitrix24 frontend auth the page was opened with
 * (X-B24-Auth). A refusal becomes an ApiError whose message can be shown as it is.
 */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The fields the server named (templates): each with its words in the page's language. */
    readonly issues: FieldIssue[] = [],
    /** The server's code for the refusal (`conflict`, `validation_error`…), when it gave one. */
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Body = Record<string, unknown>;

export async function call<T>(method: Method, path: string, body?: Body): Promise<T> {
  // The page's language, not the browser's: refusals come back in the words the page shows.
  const headers: Record<string, string> = { 'x-b24-auth': boot.auth, 'accept-language': boot.lang };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch('/api/v1' + path, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(refusal(res.status, data), res.status, issuesOf(data), codeOf(data));
  return data as T;
}

function issuesOf(data: unknown): FieldIssue[] {
  const issues = (data as { error?: { issues?: unknown } } | null)?.error?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter(
    (i): i is FieldIssue =>
      typeof (i as FieldIssue | null)?.field === 'string' && typeof (i as FieldIssue).message === 'string',
  );
}

function codeOf(data: unknown): string | null {
  const d = data as { code?: unknown; error?: { code?: unknown } } | null;
  const code = d?.error?.code ?? d?.code;
  return typeof code === 'string' ? code : null;
}

export function refusal(status: number, data: unknown): string {
  if (status === 401) return T('common.expired');
  if (status === 403) return T('common.forbidden');
  const message = (data as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' && message ? message : 'HTTP ' + status;
}

/** `?a=1&b=x`: the given values, URL-encoded, in order; empty ones left out. */
function query(params: Record<string, string | number | null | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== '' && v !== null && v !== undefined)
    .map(([k, v]) => k + '=' + encodeURIComponent(String(v)));
  return parts.length ? '?' + parts.join('&') : '';
}

export const api = {
  me: () => call<Me>('GET', '/me'),
  lines: () => call<Items<Line>>('GET', '/lines'),
  lineStatus: (line: number) => call<LineStatus>('GET', `/lines/${line}/status`),
  portal: () => call<PortalPlan>('GET', '/portal'),
  setPlan: (plan: string) => call<unknown>('PUT', '/portal/plan', { plan }),

  channels: () => call<Items<ChannelDetails>>('GET', '/channels/details'),
  health: () => call<Items<ChannelHealth>>('GET', '/channels/health'),
  connect: (form: Body) => call<Channel>('POST', '/channels', form),
  update: (id: string, form: Body) => call<Channel>('PATCH', `/channels/${id}`, form),
  remove: (id: string) => call<null>('DELETE', `/channels/${id}`),
  activate: (id: string, lineId: number) => call<Channel>('POST', `/channels/${id}/activate`, { lineId }),
  deactivate: (id: string) => call<Channel>('POST', `/channels/${id}/deactivate`, {}),
  settings: (id: string) => call<ChannelSettings>('GET', `/channels/${id}/settings`),
  setCrm: (id: string, body: Omit<CrmSetting, 'channelId'>) =>
    call<CrmSetting>('PUT', `/channels/${id}/crm`, body),

  numberRequests: () => call<Items<NumberRequest>>('GET', '/number-requests'),
  requestNumber: (form: Body) => call<unknown>('POST', '/number-requests', form),
  cancelRequest: (id: number) => call<null>('DELETE', `/number-requests/${id}`),

  departments: () => call<Items<Department>>('GET', '/portal/departments'),
  users: (start: number, search: string, department: string) =>
    call<UsersPage>('GET', '/portal/users' + query({ start, search, department })),
  crmLists: () => call<CrmLists>('GET', '/crm/pipelines'),
  roles: () => call<Roles>('GET', '/roles'),
  applyRoles: (changes: Role[]) => call<unknown>('PUT', '/roles', { changes }),

  /** The message log, newest first; `filter` values as the form has them ('' = any). */
  messages: (filter: Record<string, string>, cursor: number | null) =>
    call<MessagesPage>('GET', '/messages' + query({ ...filter, cursor, limit: 50 })),
  replay: (id: number) => call<unknown>('POST', `/messages/${id}/replay`, {}),

  // Templates (issue 11): the Templates tab and its request form.
  templates: (channelId: string) => call<TemplateList>('GET', '/templates' + query({ channelId })),
  createTemplate: (draft: TemplateDraft) => call<TemplateView>('POST', '/templates', { ...draft }),
  patchTemplate: (id: string, patch: { displayName?: string; active?: boolean }) =>
    call<TemplateView>('PATCH', `/templates/${id}`, patch),
  setTemplateLines: (id: string, lineIds: number[]) =>
    call<TemplateView>('PUT', `/templates/${id}/lines`, { lineIds }),
  deleteTemplate: (id: string) => call<unknown>('DELETE', `/templates/${id}`),
  syncTemplates: (channelId: string) => call<unknown>('POST', '/templates/sync' + query({ channelId }), {}),

  // Templates (issue 11): the picker in a chat and on a CRM card.
  chatTemplates: (chatId: number) => call<ChatTemplates>('GET', `/chats/${chatId}/templates`),
  sendFromChat: (chatId: number, body: Body) =>
    call<TemplateSent>('POST', `/chats/${chatId}/templates/send`, body),
  /** What became of a template message the viewer sent. */
  sentMessage: (messageId: number) => call<SentTemplate>('GET', `/templates/sent/${messageId}`),
  cardTemplates: (type: string, id: number) => call<CardTemplates>('GET', `/crm/${type}/${id}/templates`),
  sendFromCard: (type: string, id: number, body: Body) =>
    call<TemplateSent>('POST', `/crm/${type}/${id}/templates/send`, body),
  /** A header file for a template send (POST /templates/media, raw body): its media id. */
  uploadMedia: async (file: File): Promise<{ mediaId: string }> => {
    const res = await fetch('/api/v1/templates/media' + query({ name: file.name }), {
      method: 'POST',
      headers: {
        'x-b24-auth': boot.auth,
        'accept-language': boot.lang,
        'content-type': file.type || 'application/octet-stream',
      },
      body: file,
    });
    const data = (await res.json().catch(() => null)) as { mediaId?: string } | null;
    if (!res.ok || !data?.mediaId) throw new ApiError(refusal(res.status, data), res.status);
    return { mediaId: data.mediaId };
  },

  // Billing (issue 12).
  balance: () => call<Balance>('GET', '/balance'),
  offer: () => call<Offer>('GET', '/billing/offer'),
  consumption: () => call<Consumption>('GET', '/billing/consumption?days=30'),
  checkout: (packId: number, provider: Provider) =>
    call<CheckoutStarted>('POST', '/checkout', { kind: 'pack', packId, provider }),
  orders: () => call<{ orders: Order[] }>('GET', '/orders'),
  billingSettings: () => call<BillingSettings>('GET', '/billing/settings'),
  setBillingSettings: (s: BillingSettings) => call<BillingSettings>('PUT', '/billing/settings', { ...s }),
  /** A CSV export (GET, the page's auth header): its text and the file name the server gave. */
  csv: async (path: string, range: { from: string; to: string }) => {
    const res = await fetch('/api/v1' + path + query(range), {
      headers: { 'x-b24-auth': boot.auth, 'accept-language': boot.lang },
    });
    if (!res.ok) {
      const data: unknown = await res.json().catch(() => null);
      throw new ApiError(refusal(res.status, data), res.status);
    }
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
    return { blob: await res.blob(), name: name ?? 'export.csv' };
  },

  // Scheduled notifications (issue 13): the Notifications tab.
  ntfGroups: () => call<NtfGroups>('GET', '/notification-groups'),
  ntfCreateGroup: (name: string) => call<NtfGroup>('POST', '/notification-groups', { name }),
  ntfGroup: (id: number) => call<NtfGroup>('GET', `/notification-groups/${id}`),
  ntfPatchGroup: (id: number, patch: { name?: string; allCompanies?: boolean; companies?: NtfCompany[] }) =>
    call<NtfGroup>('PATCH', `/notification-groups/${id}`, patch),
  ntfDeleteGroup: (id: number) => call<null>('DELETE', `/notification-groups/${id}`),
  ntfAddRecipient: (groupId: number, r: Body) =>
    call<NtfGroup>('POST', `/notification-groups/${groupId}/recipients`, r),
  /** One recipient in a group, or with `recipientId` null every one (mark / unmark all). */
  ntfEnable: (groupId: number, recipientId: number | null, enabled: boolean) =>
    call<NtfGroup>(
      'PUT',
      `/notification-groups/${groupId}/recipients` + (recipientId === null ? '' : `/${recipientId}`),
      { enabled },
    ),
  ntfPatchRecipient: (id: number, r: Body) => call<unknown>('PATCH', `/notification-recipients/${id}`, r),
  ntfDeleteRecipient: (id: number) => call<null>('DELETE', `/notification-recipients/${id}`),
  ntfCompanies: (search: string) =>
    call<{ companies: NtfCompany[] }>('GET', '/notification-companies' + query({ search })),
  ntfReports: () => call<{ reports: NtfReport[] }>('GET', '/notification-reports'),
  ntfCreateReport: (r: Body) => call<NtfReport>('POST', '/notification-reports', r),
  ntfReplaceReport: (id: number, r: Body) => call<NtfReport>('PUT', `/notification-reports/${id}`, r),
  ntfDeleteReport: (id: number) => call<null>('DELETE', `/notification-reports/${id}`),
  ntfSetGroupReport: (
    groupId: number,
    reportId: number,
    body: { enabled: boolean; schedule: Partial<NtfSchedule> & { preset: NtfSchedule['preset'] } },
  ) =>
    call<{ reports: NtfGroupReport[] }>('PUT', `/notification-groups/${groupId}/reports/${reportId}`, body),
  ntfSettings: (s: { country?: string; timeZone?: string; digestIntervalMinutes?: number }) =>
    call<NtfOverview>('PATCH', '/notification-settings', s),
  ntfDigests: (groupId: number) =>
    call<{ digests: NtfDigest[] }>('GET', `/notification-groups/${groupId}/digests?limit=20`),
  ntfTestDigest: (groupId: number, reportId: number) =>
    call<{ digestId: number | string }>('POST', `/notification-groups/${groupId}/test-digest`, { reportId }),
  approvedTemplates: () => call<TemplateList>('GET', '/templates?status=approved'),

  tokens: () => call<Items<ApiToken>>('GET', '/tokens'),
  createToken: (body: Record<string, string>) => call<NewToken>('POST', '/tokens', body),
  revokeToken: (id: number) => call<null>('DELETE', `/tokens/${id}`),
};
