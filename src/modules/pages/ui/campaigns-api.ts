import { ApiError, call, refusal } from './api.js';
import { boot } from './page.js';
import type {
  Campaign,
  CampaignAction,
  CampaignInput,
  CampaignPreview,
  CampaignReport,
  CrmListRequest,
  CrmListStarted,
  ListUpload,
  OptOut,
  OptOutAdded,
  Paged,
} from '../../campaigns/campaign-model.js';

export type * from '../../campaigns/campaign-model.js';

/** The campaigns routes as the Campaigns tab calls them (issue 14; shapes of campaign-model.ts). */

export const campaignsApi = {
  list: (page = 1) => call<Paged<Campaign>>('GET', `/campaigns?page=${page}`),
  get: (id: number) => call<Campaign>('GET', `/campaigns/${id}`),
  create: (input: CampaignInput) => call<Campaign>('POST', '/campaigns', { ...input }),
  update: (id: number, input: Partial<CampaignInput>) =>
    call<Campaign>('PATCH', `/campaigns/${id}`, { ...input }),
  remove: (id: number) => call<null>('DELETE', `/campaigns/${id}`),
  act: (id: number, action: CampaignAction) => call<Campaign>('POST', `/campaigns/${id}/${action}`, {}),
  report: (id: number) => call<CampaignReport>('GET', `/campaigns/${id}/report?lang=${boot.lang}`),
  preview: (id: number, limit = 10) =>
    call<CampaignPreview>('GET', `/campaigns/${id}/preview?limit=${limit}`),
  crmList: (id: number, body: CrmListRequest) =>
    call<CrmListStarted>('POST', `/campaigns/${id}/list/crm`, { ...body }),
  optOuts: (search: string, page = 1) =>
    call<Paged<OptOut>>('GET', `/opt-outs?search=${encodeURIComponent(search)}&page=${page}`),
  addOptOut: (phone: string, channelId?: string) =>
    call<OptOutAdded>('POST', '/opt-outs', {
      phone,
      ...(channelId ? { channelId } : {}),
    }),
  removeOptOut: (phone: string) => call<null>('DELETE', `/opt-outs/${encodeURIComponent(phone)}`),
  /** PUT /campaigns/:id/list with the file as it is (the server reads it as it arrives). */
  upload: async (id: number, file: File): Promise<ListUpload> => {
    const name = encodeURIComponent(file.name.slice(0, 200));
    const res = await fetch(`/api/v1/campaigns/${id}/list?fileName=${name}`, {
      method: 'PUT',
      headers: {
        'x-b24-auth': boot.auth,
        'accept-language': boot.lang,
        'content-type': 'text/csv',
      },
      body: file,
    });
    const data: unknown = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(refusal(res.status, data), res.status);
    return data as ListUpload;
  },
};
