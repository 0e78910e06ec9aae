import type { ChannelsService } from '../channels/channels.service.js';
import type { ChannelAdminService } from '../channels/channel-admin.service.js';
import type { RolesService } from '../roles/roles.service.js';
import type { TokensService } from '../tokens/tokens.service.js';
import type { PortalsService } from '../portals/portals.service.js';
import type { listMessages } from '../messaging/message-log.js';
import type { TemplatePickerService } from '../templates/template-picker.service.js';
import type { TemplatesService } from '../templates/templates.service.js';
import type { SentTemplate } from '../templates/template-sent.routes.js';
import type { LedgerService } from '../billing/ledger.service.js';
import type { OfferService } from '../billing/offer.service.js';
import type { CompaniesService } from '../notifications/companies.service.js';
import type { DigestsService } from '../notifications/digests.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import type { ReportsService } from '../notifications/reports.service.js';
import type * as UiBilling from './ui/billing-types.js';
import type * as UiNtf from './ui/notifications-types.js';
import type { CampaignInput, CrmListRequest } from '../campaigns/campaign-model.js';
import type { CreateInput, PatchInput } from '../campaigns/campaigns.schemas.js';
import type { CrmListInput } from '../campaigns/list-schemas.js';
import type * as Ui from './ui/types.js';
import type * as UiTemplates from './ui/template-types.js';

/**
 * Compile time only: what the services behind the pages' API routes return fits the types the pages'
 * script reads (ui/types.ts). A service that renames or drops a field the pages use fails
 * `npm run typecheck` here instead of breaking a page in the browser. Nothing here runs.
 */

type Out<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;
/** What JSON makes of a value: a Date arrives as its ISO string. */
type Wire<T> = T extends Date
  ? string
  : T extends Array<infer I>
    ? Array<Wire<I>>
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;
/** Compiles only when A can be used where B is expected. */
type Fits<A extends B, B> = A;

export type PagesApiContract = [
  Fits<Out<ChannelAdminService['details']>, Ui.ChannelDetails[]>,
  Fits<Out<ChannelAdminService['health']>, Ui.ChannelHealth[]>,
  Fits<Out<ChannelAdminService['settings']>, Ui.ChannelSettings>,
  Fits<Out<ChannelAdminService['lineStatus']>, Ui.LineStatus>,
  Fits<Out<ChannelAdminService['listRequests']>, Ui.NumberRequest[]>,
  Fits<Out<ChannelAdminService['connect']>, Ui.Channel>,
  Fits<Out<ChannelsService['activate']>, Ui.Channel>,
  Fits<Out<RolesService['lines']>, Ui.Line[]>,
  Fits<Out<RolesService['departments']>, Ui.Department[]>,
  Fits<Out<RolesService['users']>, Ui.UsersPage>,
  Fits<Out<RolesService['list']>, Ui.Roles>,
  Fits<Out<RolesService['crmPipelines']>, Ui.CrmLists>,
  Fits<Out<RolesService['setCrm']>, Ui.CrmSetting>,
  Fits<Out<PortalsService['plan']>, Ui.PortalPlan>,
  Fits<Out<TokensService['list']>, Ui.ApiToken[]>,
  Fits<Out<TokensService['create']>, Ui.NewToken>,
  Fits<Out<typeof listMessages>, Ui.MessagesPage>,
  Fits<Out<TemplatePickerService['forChat']>, Ui.ChatTemplates>,
  Fits<Out<TemplatePickerService['forCard']>, Ui.CardTemplates>,
  Fits<SentTemplate, UiTemplates.SentTemplate>,
  Fits<Out<TemplatesService['list']>, UiTemplates.TemplateView[]>,
  Fits<Out<TemplatesService['create']>, UiTemplates.TemplateView>,
  Fits<Out<TemplatesService['update']>, UiTemplates.TemplateView>,
  Fits<Out<TemplatesService['setLines']>, UiTemplates.TemplateView>,
  Fits<Out<TemplatesService['uploadMedia']>, { mediaId: string }>,
  Fits<Out<RolesService['abilities']>, Ui.Me['can']>,
  Fits<Wire<Out<LedgerService['balance']>>, UiBilling.Balance>,
  Fits<Wire<Out<OfferService['offer']>>, UiBilling.Offer>,
  Fits<Wire<Out<LedgerService['consumption']>>, UiBilling.Consumption>,
  Fits<Wire<Out<OfferService['allPacks']>>, UiBilling.OperatorPack[]>,
  Fits<Wire<Out<OfferService['subscriptionPrices']>>, UiBilling.SubscriptionPrice[]>,
  Fits<Wire<Out<NotificationsService['groups']>>, UiNtf.NtfGroups>,
  Fits<Wire<Out<NotificationsService['overview']>>, UiNtf.NtfOverview>,
  // The group's reports come from ReportsService.ofGroup (checked below); the rest from the group.
  Fits<Wire<Out<NotificationsService['group']>>['group'], Omit<UiNtf.NtfGroupDetail, 'reports'>>,
  Fits<Wire<Out<ReportsService['ofGroup']>>, UiNtf.NtfGroupReport[]>,
  Fits<Wire<Out<ReportsService['list']>>, { reports: UiNtf.NtfReport[] }>,
  Fits<Out<CompaniesService['search']>, { companies: UiNtf.NtfCompany[] }>,
  Fits<Wire<Out<DigestsService['list']>>, { digests: UiNtf.NtfDigest[] }>,
  // What the form sends is what the API takes.
  Fits<UiTemplates.TemplateDraft, Parameters<TemplatesService['create']>[1]>,
  // The Campaigns tab (issue 14): the services answer campaign-model.ts's types, which the tab reads;
  // what the tab sends is what the routes' schemas take, with no field their strict objects refuse.
  Fits<CampaignInput, CreateInput>,
  Fits<Partial<CampaignInput>, PatchInput>,
  Fits<keyof CampaignInput, keyof CreateInput>,
  Fits<CrmListRequest, CrmListInput>,
  Fits<keyof CrmListRequest['filter'], keyof CrmListInput['filter']>,
];
