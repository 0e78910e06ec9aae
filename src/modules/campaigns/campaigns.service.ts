import { FieldIssuesError, ForbiddenError, NotFoundError } from '../../shared/errors.js';
import type { Lang } from '../../shared/i18n.js';
import type { ChannelRoleSet } from '../roles/roles.service.js';
import { issueText } from '../templates/send-texts.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import {
  ACTION_FROM,
  DELETABLE_STATUSES,
  type Campaign,
  type CampaignAction,
  type CampaignCounts,
  type CampaignStatus,
  type Paged,
} from './campaign-model.js';
import {
  EMPTY_COUNTS,
  type CampaignPatch,
  type CampaignRow,
  type CampaignsRepository,
  type Transition,
} from './campaigns.repository.js';
import type { CreateInput, PatchInput } from './campaigns.schemas.js';
import { hhmmOf, minutesOf } from './dispatch-window.js';
import { conflictText } from './report-texts.js';

/**
 * Campaigns (issue 14, C10): the campaign and its states. Who: portal admins (and their bearer
 * tokens) on every channel, a channel's boss on that channel's campaigns; anyone else 403.
 * States: draft → scheduled (start with a later start time) → running ⇄ paused → finished, and
 * cancelled from any state but finished. A start needs a ready list with rows to send, an approved
 * template of the campaign's channel and the channel active; anything else is a 409 with the reason.
 * The sending itself is the dispatcher's (dispatch.ts). The JSON and the state rules are
 * campaign-model.ts's, shared with the Campaigns tab.
 */

export const PAGE_SIZE = 20;

export interface CampaignsDeps {
  repo: CampaignsRepository;
  roles: { channelRoles(p: ApiPrincipal): Promise<ChannelRoleSet[]> };
  nudge: () => void;
  clock?: () => number;
}

export class CampaignsService {
  constructor(private readonly d: CampaignsDeps) {}

  /** The channels whose campaigns the caller may see and run; 403 when none. */
  async scope(p: ApiPrincipal): Promise<'all' | string[]> {
    if (p.admin) return 'all';
    const channels = (await this.d.roles.channelRoles(p)).filter((r) => r.boss).map((r) => r.channelId);
    if (!channels.length) throw forbidden();
    return channels;
  }

  async list(
    p: ApiPrincipal,
    q: { status?: CampaignStatus | undefined; page: number },
  ): Promise<Paged<Campaign>> {
    const channels = await this.scope(p);
    const { rows, total } = await this.d.repo.list(p.portalId, {
      status: q.status,
      channels,
      limit: PAGE_SIZE,
      offset: (q.page - 1) * PAGE_SIZE,
    });
    return { items: await this.#views(rows), total };
  }

  async get(p: ApiPrincipal, id: number): Promise<Campaign> {
    return (await this.#views([await this.find(p, id)]))[0]!;
  }

  /** The campaign if the caller may act on it: 404 if it is not the portal's, 403 if not theirs. */
  async find(p: ApiPrincipal, id: number): Promise<CampaignRow> {
    const scope = await this.scope(p);
    const c = await this.d.repo.get(p.portalId, id);
    if (!c) throw new NotFoundError('Campaign not found');
    if (scope !== 'all' && !scope.includes(c.channel_id)) throw forbidden();
    return c;
  }

  async create(p: ApiPrincipal, input: CreateInput, lang: Lang): Promise<Campaign> {
    const scope = await this.scope(p);
    if (scope !== 'all' && !scope.includes(input.channelId)) throw forbidden();
    await this.#checkTemplate(p.portalId, input.channelId, input.templateId, lang);
    const row = await this.d.repo.create({
      portal_id: p.portalId,
      created_by: p.userId,
      ...columns(input),
      name: input.name,
      channel_id: input.channelId,
    });
    return this.get(p, row.id);
  }

  async update(p: ApiPrincipal, id: number, input: PatchInput, lang: Lang): Promise<Campaign> {
    const c = await this.find(p, id);
    if (c.status !== 'draft') throw conflict(lang, 'not_draft', { status: c.status });
    const scope = await this.scope(p);
    const channelId = input.channelId ?? c.channel_id;
    if (scope !== 'all' && !scope.includes(channelId)) throw forbidden();
    if (input.channelId !== undefined || input.templateId !== undefined) {
      await this.#checkTemplate(p.portalId, channelId, input.templateId ?? c.template_id ?? '', lang);
    }
    const patch: CampaignPatch = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.channelId !== undefined ? { channel_id: input.channelId } : {}),
      ...columns(input),
    };
    const row = await this.d.repo.update(p.portalId, id, patch);
    if (!row) throw conflict(lang, 'not_draft', { status: (await this.find(p, id)).status });
    return this.get(p, id);
  }

  async remove(p: ApiPrincipal, id: number, lang: Lang): Promise<void> {
    const c = await this.find(p, id);
    if (
      !DELETABLE_STATUSES.includes(c.status) ||
      !(await this.d.repo.delete(p.portalId, id, DELETABLE_STATUSES))
    ) {
      throw conflict(lang, 'not_deletable', { status: (await this.find(p, id)).status });
    }
  }

  async act(p: ApiPrincipal, id: number, action: CampaignAction, lang: Lang): Promise<Campaign> {
    const c = await this.find(p, id);
    if (!ACTION_FROM[action].includes(c.status)) {
      throw conflict(lang, 'illegal_transition', { status: c.status, action });
    }
    const t = action === 'start' || action === 'resume' ? await this.#run(c, lang) : this.#stop(action);
    const row = await this.d.repo.transition(p.portalId, id, t);
    if (!row) {
      // Someone else moved it between the read and the change: the same answer as a wrong state, or
      // its list began loading again meanwhile (a CRM list started while the start was checked).
      const now = await this.find(p, id);
      if (t.listReady && now.status === 'draft' && now.list_status !== 'ready') {
        throw conflict(lang, 'list_not_ready', { list: now.list_status });
      }
      throw conflict(lang, 'illegal_transition', { status: now.status, action });
    }
    if (t.run) this.d.nudge();
    return this.get(p, id);
  }

  #stop(action: CampaignAction): Transition {
    return action === 'pause'
      ? { from: ACTION_FROM.pause, to: 'paused' }
      : { from: ACTION_FROM.cancel, to: 'cancelled', reason: null };
  }

  /** Start or resume: what must hold before anything is sent, then a new run from the start time. */
  async #run(c: CampaignRow, lang: Lang): Promise<Transition> {
    const counts = (await this.d.repo.counts([c.id])).get(c.id) ?? EMPTY_COUNTS;
    if (c.status === 'draft' && c.list_status !== 'ready') {
      throw conflict(lang, 'list_not_ready', { list: c.list_status });
    }
    if (counts.ready === 0) throw conflict(lang, 'list_empty');
    const { channel, template } = await this.d.repo.sendable(c.portal_id, c.channel_id, c.template_id);
    if (!template || template.channel_id !== c.channel_id) throw conflict(lang, 'template_not_found');
    if (template.status === 'paused') throw conflict(lang, 'template_paused');
    if (template.status !== 'approved' || !template.active || !template.gupshup_id) {
      throw conflict(lang, 'template_not_approved', { status: template.status });
    }
    if (!channel || (channel.status !== 'active' && channel.status !== 'interrupted')) {
      throw conflict(lang, 'channel_off');
    }
    const now = this.d.clock?.() ?? Date.now();
    const later = c.start_at !== null && c.start_at.getTime() > now;
    return {
      from: [c.status],
      to: later ? 'scheduled' : 'running',
      reason: null,
      run: { runAt: later ? c.start_at! : new Date(now) },
      ...(c.status === 'draft' ? { listReady: true } : {}),
    };
  }

  /** The template must be the channel's, approved and switched on (400 naming the field). */
  async #checkTemplate(portalId: number, channelId: string, templateId: string, lang: Lang) {
    const { channel, template } = await this.d.repo.sendable(portalId, channelId, templateId || null);
    if (!channel) throw new NotFoundError(issueText(lang, { code: 'channel_not_found' }));
    const bad = (code: string, params: Record<string, string> = {}) =>
      new FieldIssuesError('validation_error', [
        { field: 'templateId', code, message: issueText(lang, { code, params }) },
      ]);
    if (!template || template.channel_id !== channelId) throw bad('template_not_found');
    if (template.status !== 'approved' || !template.gupshup_id) {
      throw bad('template_not_approved', { status: template.status });
    }
    if (!template.active) throw bad('template_inactive');
  }

  async #views(rows: CampaignRow[]): Promise<Campaign[]> {
    const counts = await this.d.repo.counts(rows.map((r) => r.id));
    return rows.map((r) => view(r, counts.get(r.id) ?? EMPTY_COUNTS));
  }
}

/** The columns an input sets (create and change share them). */
function columns(input: PatchInput): CampaignPatch {
  const w = input.window;
  return {
    ...(input.templateId !== undefined ? { template_id: input.templateId } : {}),
    ...(input.replyLineId !== undefined ? { reply_line_id: input.replyLineId } : {}),
    ...(input.replyUserIds !== undefined ? { reply_user_ids: [...new Set(input.replyUserIds)] } : {}),
    ...(w
      ? { window_days: [...w.days].sort(), window_from: minutesOf(w.from), window_to: minutesOf(w.to) }
      : {}),
    ...(input.timeZone !== undefined ? { time_zone: input.timeZone } : {}),
    ...(input.startAt !== undefined
      ? { start_at: input.startAt === null ? null : new Date(input.startAt) }
      : {}),
    ...(input.ratePerMinute !== undefined ? { rate_per_minute: input.ratePerMinute } : {}),
  };
}

export function view(r: CampaignRow, counts: CampaignCounts): Campaign {
  return {
    id: r.id,
    name: r.name,
    channelId: r.channel_id,
    templateId: r.template_id,
    status: r.status,
    statusReason: r.status_reason,
    replyLineId: r.reply_line_id,
    replyUserIds: r.reply_user_ids,
    window: { days: r.window_days.map(Number), from: hhmmOf(r.window_from), to: hhmmOf(r.window_to) },
    timeZone: r.time_zone,
    startAt: r.start_at?.toISOString() ?? null,
    ratePerMinute: r.rate_per_minute,
    list: {
      source: r.list_source,
      status: r.list_status,
      rows: r.rows_total,
      rejected: r.rows_rejected,
      info: r.list_info,
    },
    counts,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

function conflict(lang: Lang, code: string, values: Record<string, string> = {}): FieldIssuesError {
  return new FieldIssuesError('conflict', [
    { field: 'status', code, message: conflictText(lang, code, values) },
  ]);
}

function forbidden(): ForbiddenError {
  return new ForbiddenError('Only portal administrators and the channel’s bosses run its campaigns');
}
