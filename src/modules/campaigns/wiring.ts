import type { JobHandler } from '../../jobs/worker.js';
import type { Database } from '../../shared/db/database.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import type { ChannelRoleSet } from '../roles/roles.service.js';
import type { OpenLines } from '../roles/ports.js';
import { CampaignsRepository, DISPATCH_TOPIC, REPLY_TOPIC } from './campaigns.repository.js';
import { replyJob } from './dispatch-replies.js';
import { CampaignsService } from './campaigns.service.js';
import { dispatchJob, type CampaignSender } from './dispatch.js';
import { DispatchRepository } from './dispatch.repository.js';
import { ReportRepository } from './report.repository.js';
import { ReportService } from './report.service.js';

/**
 * The campaigns module's sending part for the composition root: the service and the report for the
 * routes, the dispatcher's job topic for the worker. Rows go out through the templates send service
 * (`send`), paced within the channel's Gupshup budget and the messaging tier.
 */
export function buildCampaigns(
  db: Database,
  o: {
    send: CampaignSender;
    roles: { channelRoles(p: ApiPrincipal): Promise<ChannelRoleSet[]> };
    channelPerSec: number;
    tier: number;
    /** Hands a reply's chat to one of the campaign's agents. */
    lines: Pick<OpenLines, 'transfer' | 'transferToLine'>;
    nudge: () => void;
  },
) {
  const dispatch = new DispatchRepository(db);
  const repo = new CampaignsRepository(db);
  const service = new CampaignsService({ repo, roles: o.roles, nudge: o.nudge });
  const reports = new ReportService({
    repo: new ReportRepository(db),
    campaigns: repo,
    channelPerSec: o.channelPerSec,
  });
  const jobs: Record<string, JobHandler> = {
    [REPLY_TOPIC]: replyJob({ repo: dispatch, lines: o.lines }),
    [DISPATCH_TOPIC]: dispatchJob({
      repo: dispatch,
      send: o.send,
      channelPerSec: o.channelPerSec,
      tier: o.tier,
    }),
  };
  return { service, reports, jobs };
}

export type Campaigns = ReturnType<typeof buildCampaigns>;
