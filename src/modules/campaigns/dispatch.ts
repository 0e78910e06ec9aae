import { setTimeout as sleep } from 'node:timers/promises';
import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import { AppError } from '../../shared/errors.js';
import type { Log as Logger } from '../../shared/logger.js';
import type { TemplateSendInput } from '../templates/template-send.service.js';
import { writeTrace } from '../trace/trace.service.js';
import { windowAt } from './dispatch-window.js';
import type { ClaimedRow, DispatchCampaign, DispatchRepository } from './dispatch.repository.js';
import { adjust, MAX_WAIT_MS, pace } from './throttle.js';

/**
 * `campaigns.dispatch`: one job per run of a campaign (start and resume make a new run; dedupe key
 * `campaigns.dispatch:<id>:<run>`), which looks again every fraction of a second by rescheduling
 * itself (no attempt spent) until the campaign is paused, cancelled or finished. Each look:
 * 1. an outdated run, or a campaign no longer running, ends the job; a scheduled one waits for its
 *    start time; outside the working-hours window it sleeps until the window opens;
 * 2. Gupshup's signals on the channel since the last look (trace): 4001 or a paused template stops
 *    the campaign (paused, with the reason); a 429 halves the pace (AIMD, throttle.ts);
 * 3. the throttle says how many rows may go now; they are taken in list order and each handed to
 *    the templates send service with the client key `camp:<campaignId>:<rowId>`.
 *
 * Exactly once per row: the row is marked 'queued' in the transaction that holds its lock, after the
 * send service stored the message under the row's key. A run that dies in between leaves the row
 * 'ready'; the next run finds the message by its key and only marks the row. A refusal (opted out
 * since the upload, a parameter the template does not take…) fails the row with its code.
 */
export type CampaignSender = (input: TemplateSendInput) => Promise<{ messageId: number }>;

export interface DispatchDeps {
  repo: DispatchRepository;
  send: CampaignSender;
  /** GUPSHUP_SEND_PER_SEC: the channel's budget, shared with its chats. */
  channelPerSec: number;
  /** Unique recipients per rolling 24 h (the messaging tier); 0 = no limit. */
  tier: number;
  clock?: () => number;
  /** The last tier count per channel, and the rows handed since (kept by `tierUsed`). */
  tierSeen?: Map<string, { at: number; used: number; handed: number[] }>;
}

/**
 * How long one run of the job goes on looking (every look within a second of the last) before it
 * gives its worker slot back and is rescheduled; short, so that a shutdown waits at most that long.
 */
const LOOK_IN_RUN_MS = 5_000;

/** Longest sleep of a job waiting for its window or its start (it looks again after). */
const LONG_WAIT_MS = 5 * 60_000;

const again = (why: string, ms: number): JobOutcome => ({
  kind: 'retry',
  error: why,
  delayMs: Math.max(0, Math.ceil(ms)),
  countAttempt: false,
});

export function dispatchJob(deps: DispatchDeps): JobHandler {
  const d = { ...deps, tierSeen: deps.tierSeen ?? new Map() };
  const now = d.clock ?? Date.now;
  return {
    run: async (job, log) => {
      const p = job.payload as { campaignId?: unknown; runSeq?: unknown };
      // The next look within a second runs here, in this run of the job, rather than as the job
      // rescheduled: a rescheduled look waited behind the send jobs its own last look had made (they
      // are older), so looks and sends took turns and a campaign reached 0.72 of its allowed rate.
      const until = Date.now() + LOOK_IN_RUN_MS;
      for (;;) {
        const c = typeof p.campaignId === 'number' ? await d.repo.forDispatch(p.campaignId) : undefined;
        if (!c || c.run_seq !== p.runSeq) return { kind: 'done' };
        if (c.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
        const outcome = await look(d, c, now(), log);
        const wait = outcome.kind === 'retry' ? (outcome.delayMs ?? Infinity) : Infinity;
        if (wait > MAX_WAIT_MS || Date.now() + wait >= until) return outcome;
        await sleep(wait);
      }
    },
    // Every attempt threw (the database away for long, a send that keeps failing): the campaign would
    // stay 'running' with no job to move it. It is paused with the reason, for a person to resume.
    onDead: async (job, error) => {
      const p = job.payload as { campaignId?: unknown; runSeq?: unknown };
      const c = typeof p.campaignId === 'number' ? await d.repo.forDispatch(p.campaignId) : undefined;
      if (!c || c.run_seq !== p.runSeq) return;
      const cursor = Number(c.trace_cursor);
      if (await d.repo.pause(c.id, c.run_seq, 'dispatch_failed', cursor, ['running', 'scheduled'])) {
        await trace(d, c, 'campaign_paused', 'ERROR', 'dispatch_failed', `the dispatcher gave up: ${error}`);
      }
    },
  };
}

async function look(d: DispatchDeps, c: DispatchCampaign, t: number, log: Logger): Promise<JobOutcome> {
  if (c.status === 'scheduled') {
    const startAt = c.start_at?.getTime() ?? t;
    if (startAt > t) return again('waiting for the start time', Math.min(startAt - t, LONG_WAIT_MS));
    await d.repo.markRunning(c.id, c.run_seq);
  } else if (c.status !== 'running') return { kind: 'done' };
  const sig = await d.repo.signals(c.portal_id, c.channel_id, Number(c.trace_cursor), {
    id: c.id,
    templateId: c.template_id,
  });
  const stop = sig.stop ? (sig.stop === '4001' ? 'gupshup_4001' : 'template_paused') : null;
  if (stop) return paused(d, c, stop, sig.cursor, `Gupshup failed a send with ${sig.stop}`);
  const { template, channelOk } = await sendableNow(d, c);
  if (template) return paused(d, c, template, sig.cursor, `the campaign's template is ${template}`);
  if (!channelOk) return paused(d, c, 'channel_off', sig.cursor, 'the channel is not active');
  const w = windowAt({ days: c.window_days, from: c.window_from, to: c.window_to, timeZone: c.time_zone }, t);
  const aimd = adjust(
    { factor: c.pace_factor, changedAt: c.pace_changed_at?.getTime() ?? null },
    t,
    sig.throttled,
  );
  const save = (credit: number, reason: string | null) =>
    d.repo.savePace(c.id, c.run_seq, {
      credit,
      at: new Date(t),
      factor: aimd.factor,
      changedAt: aimd.changedAt === null ? null : new Date(aimd.changedAt),
      cursor: sig.cursor,
      reason,
    });
  if (aimd.factor < c.pace_factor) {
    // Not the code '429' itself: the next look would read its own line as another 429.
    await trace(
      d,
      c,
      'campaign_slowed',
      'WARN',
      'rate_limited',
      `Gupshup 429: pace ×${aimd.factor.toFixed(3)}`,
    );
  }
  if (!w.open) {
    await save(0, 'outside_window');
    return again('outside the window', Math.min(w.opensAt - t, LONG_WAIT_MS));
  }
  const waiting = await d.repo.waiting(c.channel_id);
  if (waiting.held > 0) {
    await save(c.pace_credit, 'no_message_units');
    return again('campaign messages held for lack of message units', 30_000);
  }
  const tierLeft = d.tier > 0 ? d.tier - (await tierUsed(d, c.channel_id, t)) : Infinity;
  const decision = pace({
    now: t,
    ratePerMinute: c.rate_per_minute,
    channelPerSec: d.channelPerSec,
    factor: aimd.factor,
    state: { credit: c.pace_credit, at: c.pace_at?.getTime() ?? null },
    queuedAhead: waiting.campaign,
    chatsWaiting: waiting.chats,
    tierLeft,
  });
  if (decision.take > 0) {
    const handed = await hand(d, c, decision.take);
    d.tierSeen?.get(c.channel_id)?.handed.push(handed);
    if (handed < decision.take && (await d.repo.finishIfDone(c.id, c.run_seq))) {
      log.info({ campaignId: c.id }, 'Campaign finished: every row handed out.');
      await trace(d, c, 'campaign_finished', 'INFO', null, 'every row handed to the send service');
      return { kind: 'done' };
    }
  } else if (await d.repo.finishIfDone(c.id, c.run_seq)) {
    await trace(d, c, 'campaign_finished', 'INFO', null, 'every row handed to the send service');
    return { kind: 'done' };
  }
  await save(decision.state.credit, decision.reason === 'tier_limit' ? 'tier_limit' : null);
  return again(decision.reason ?? 'paced', decision.waitMs);
}

/**
 * Distinct recipients of the channel's campaigns in the rolling 24 h. Counting them is a scan of the
 * rows handed that day, so it is done every TIER_RECOUNT_MS; in between, the rows this process handed
 * are added (a row counts as a new recipient: the count can only be too high, never too low, for the
 * runs of this process).
 */
const TIER_RECOUNT_MS = 5_000;
async function tierUsed(d: DispatchDeps, channelId: string, t: number): Promise<number> {
  const seen = d.tierSeen?.get(channelId);
  if (seen && t - seen.at < TIER_RECOUNT_MS) return seen.used + seen.handed.reduce((a, b) => a + b, 0);
  const used = await d.repo.recipients24h(channelId);
  d.tierSeen?.set(channelId, { at: t, used, handed: [] });
  return used;
}

/** Why the template can no longer be sent (a reason code), and whether the channel still sends. */
async function sendableNow(d: DispatchDeps, c: DispatchCampaign) {
  const { template, channel } = await d.repo.sendable(c.portal_id, c.channel_id, c.template_id);
  const channelOk = !!channel && (channel.status === 'active' || channel.status === 'interrupted');
  if (!template || template.channel_id !== c.channel_id) return { template: 'template_not_found', channelOk };
  if (template.status === 'paused') return { template: 'template_paused', channelOk };
  if (template.status !== 'approved' || !template.active) {
    return { template: 'template_not_approved', channelOk };
  }
  return { template: null, channelOk };
}

async function paused(
  d: DispatchDeps,
  c: DispatchCampaign,
  reason: string,
  cursor: number,
  detail: string,
): Promise<JobOutcome> {
  if (await d.repo.pause(c.id, c.run_seq, reason, cursor)) {
    await trace(d, c, 'campaign_paused', 'ERROR', reason, detail);
  }
  return { kind: 'done' };
}

/** Takes up to `n` rows in order and hands each to the send service; returns how many it took. */
/** Sends handed to the send service at once within one look (each takes a few statements). */
const SEND_CONCURRENCY = 16;

type Outcome = { messageId: number } | { code: string; detail: string };

/**
 * Takes up to `n` rows in order and hands each to the send service, a few at a time; the rows are
 * marked in the transaction that holds their locks, once every send of the look has settled. A send
 * that throws (the database, a bug) rolls the look back: the messages stored meanwhile are found by
 * their keys at the next look. Returns how many rows it took.
 */
async function hand(d: DispatchDeps, c: DispatchCampaign, n: number): Promise<number> {
  return d.repo.transaction(async (trx) => {
    const rows = await d.repo.claim(trx, c.id, n);
    const keyOf = (row: ClaimedRow) => `camp:${c.id}:${row.id}`;
    const phones = rows.map((r) => r.phone_e164).filter((p): p is string => !!p);
    const opted = await d.repo.optedOut(trx, c.portal_id, phones);
    const stored = await d.repo.messagesByKey(c.portal_id, rows.map(keyOf));
    const outcome = async (row: ClaimedRow): Promise<Outcome> => {
      if (!row.phone_e164) return { code: 'phone_invalid', detail: 'the row has no number' };
      if (opted.has(row.phone_e164)) {
        return { code: 'opted_out', detail: 'the customer opted out after the upload' };
      }
      const earlier = stored.get(keyOf(row));
      return earlier !== undefined ? { messageId: earlier } : sendRow(d, c, row, keyOf(row));
    };
    const outcomes: Outcome[] = [];
    for (let i = 0; i < rows.length; i += SEND_CONCURRENCY) {
      // Paused or cancelled meanwhile (even since this look read the campaign, e.g. paused as its start
      // time came): the rows not handed yet stay 'ready' (a cancel then takes them).
      if (!(await d.repo.stillRunning(c.id, c.run_seq))) break;
      const settled = await Promise.allSettled(rows.slice(i, i + SEND_CONCURRENCY).map(outcome));
      for (const r of settled) {
        if (r.status === 'rejected') throw r.reason;
        outcomes.push(r.value);
      }
    }
    for (const [i, r] of outcomes.entries()) {
      const row = rows[i]!;
      if ('messageId' in r) await d.repo.queued(trx, row.id, keyOf(row), r.messageId);
      else await d.repo.failed(trx, row.id, r.code, r.detail);
    }
    return outcomes.length;
  });
}

async function sendRow(d: DispatchDeps, c: DispatchCampaign, row: ClaimedRow, key: string): Promise<Outcome> {
  try {
    return await d.send({
      portalId: c.portal_id,
      channelId: c.channel_id,
      to: row.phone_e164 ?? '',
      templateId: row.template_id ?? c.template_id ?? '',
      params: Array.isArray(row.params) ? row.params.map((v) => String(v ?? '')) : [],
      clientKey: key,
      origin: { kind: 'campaign', campaignId: c.id, campaignName: c.name },
    });
  } catch (err) {
    // A refusal the list can explain (bad number, parameters…) fails the row; anything else (the
    // database, a bug) rolls the batch back and the job looks again.
    if (!(err instanceof AppError) || err.httpStatus >= 500) throw err;
    // The issue's values (how many parameters…) go with it, so the report can word it in any language.
    const issue = (err as { issues?: Array<{ code?: string; params?: Record<string, string | number> }> })
      .issues?.[0];
    return {
      code: issue?.code ?? err.code,
      detail: JSON.stringify({ message: err.message.slice(0, 300), params: issue?.params ?? {} }),
    };
  }
}

function trace(
  d: DispatchDeps,
  c: DispatchCampaign,
  step: 'campaign_paused' | 'campaign_slowed' | 'campaign_finished',
  level: 'INFO' | 'WARN' | 'ERROR',
  code: string | null,
  detail: string,
): Promise<void> {
  return writeTrace(d.repo.db, {
    portalId: c.portal_id,
    channelId: c.channel_id,
    direction: 'out',
    step,
    level,
    code,
    detail: `campaign ${c.id}: ${detail}`.slice(0, 500),
  });
}
