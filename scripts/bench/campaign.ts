/**
 * Campaign phase (issue 14): a campaign of BENCH_CAMPAIGN_ROWS rows (default 10,000) against the
 * sandbox Gupshup, at the limits the app is given: the channel's Gupshup budget
 * (GUPSHUP_SEND_PER_SEC = BENCH_CAMPAIGN_PER_SEC, default 100, raised from the published 20 msg/s so
 * the run stays under two minutes), the campaign's cap at the same rate, and the messaging tier
 * (CAMPAIGN_DEFAULT_TIER) equal to the rows. The sandbox has no throughput or tier limit of its own,
 * so these are the limits. Reported: achieved rate (the sandbox's first to last send) against the
 * allowed rate, numbers sent twice or missing (per number at the sandbox), and the app's peak RSS.
 * `BENCH_ONLY=campaign npm run bench` runs it alone.
 */
import type { SandboxGupshup } from '../sandbox/gupshup/index.js';
import { vmHwmMb } from './app-process.js';
import type pg from 'pg';
import { say, waitUntil } from './common.js';
import { writePhaseReport } from './report.js';
import { BENCH_APP, benchDatabase, benchStack, installChannel, type BenchChannel } from './setup.js';

export const CAMPAIGN_ROWS = Number(process.env.BENCH_CAMPAIGN_ROWS ?? 10_000);
export const CAMPAIGN_PER_SEC = Number(process.env.BENCH_CAMPAIGN_PER_SEC ?? 100);

export interface CampaignResult {
  rows: number;
  allowedPerSec: number;
  achievedPerSec: number;
  ofAllowed: number;
  durationMs: number;
  tier: number;
  sentTwice: number;
  missing: number;
  finished: boolean;
  peakRssMb: number;
}

/** What the app process needs for the phase: the channel's budget and the tier. */
export function campaignEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    GUPSHUP_SEND_PER_SEC: String(CAMPAIGN_PER_SEC),
    CAMPAIGN_DEFAULT_TIER: String(CAMPAIGN_ROWS),
  };
}

export async function campaignPhase(o: {
  url: string;
  pool: pg.Pool;
  gupshup: SandboxGupshup;
  ch: BenchChannel;
  pid: number | undefined;
}): Promise<CampaignResult> {
  const { pool, gupshup, ch } = o;
  const auth = { authorization: `Bearer ${ch.token}`, 'content-type': 'application/json' };
  const tpl = gupshup.addConsoleTemplate(ch.appId, {
    elementName: 'bench_promo',
    languageCode: 'es',
    content: 'Hola {{1}}, su pedido {{2}} está listo.',
    category: 'MARKETING',
    templateType: 'TEXT',
  });
  await pool.query('UPDATE channels SET gupshup_app_id = $1 WHERE id = $2', [ch.appId, ch.id]);
  const { rows: t } = await pool.query<{ id: string }>(
    `INSERT INTO templates (portal_id, channel_id, element_name, display_name, language, category,
       template_type, body, params, status, gupshup_id, active)
     SELECT portal_id, id, 'bench_promo', 'Bench promo', 'es', 'MARKETING', 'TEXT',
       'Hola {{1}}, su pedido {{2}} está listo.', '[{"name":"nombre","example":"Ana"},{"name":"pedido","example":"A-1"}]',
       'approved', $2, true FROM channels WHERE id = $1 RETURNING id`,
    [ch.id, tpl.id],
  );
  const allowedPerSec = Math.min(CAMPAIGN_PER_SEC, 100);
  const created = await fetch(`${o.url}/api/v1/campaigns`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      name: 'Bench',
      channelId: ch.id,
      templateId: t[0]?.id,
      window: { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' },
      ratePerMinute: allowedPerSec * 60,
    }),
  });
  const { id } = (await created.json()) as { id: number };
  for (let from = 0; from < CAMPAIGN_ROWS; from += 1000) {
    const n = Math.min(1000, CAMPAIGN_ROWS - from);
    await pool.query(
      `INSERT INTO campaign_rows (campaign_id, line_no, raw_phone, phone_e164, params, status)
       SELECT $1, g, '', '+5491150' || lpad(g::text, 6, '0'), jsonb_build_array('C' || g, 'P-' || g), 'ready'
       FROM generate_series($2::int, $3::int) AS g`,
      [id, from + 1, from + n],
    );
  }
  await pool.query(
    `UPDATE campaigns SET list_source = 'csv', list_status = 'ready', rows_total = $2 WHERE id = $1`,
    [id, CAMPAIGN_ROWS],
  );
  say(`Campaign: ${CAMPAIGN_ROWS} rows at ${allowedPerSec}/s allowed…`);
  const t0 = Date.now();
  await fetch(`${o.url}/api/v1/campaigns/${id}/start`, {
    method: 'POST',
    headers: { authorization: auth.authorization },
  });
  // Only this phase's sends (the full run's outbound phase used the same app, other numbers).
  const sent = () =>
    gupshup.sent({ appName: BENCH_APP }).filter((m) => m.at >= t0 && m.destination.startsWith('5491150'));
  const budgetMs = (CAMPAIGN_ROWS / allowedPerSec) * 3000 + 60_000;
  await waitUntil(async () => sent().length >= CAMPAIGN_ROWS, budgetMs).catch(() => undefined);
  const durationMs = Date.now() - t0;
  const at = sent().map((m) => m.at);
  const first = Math.min(...at);
  const last = Math.max(...at);
  const achievedPerSec = at.length > 1 ? (at.length - 1) / ((last - first) / 1000) : 0;
  const per = new Map<string, number>();
  for (const m of sent()) per.set(m.destination, (per.get(m.destination) ?? 0) + 1);
  // The dispatcher marks the campaign finished at its next look once no row is left to hand out.
  const finished = async () =>
    (await pool.query<{ status: string }>('SELECT status FROM campaigns WHERE id = $1', [id])).rows[0]
      ?.status === 'finished';
  await waitUntil(finished, 30_000).catch(() => undefined);
  return {
    rows: CAMPAIGN_ROWS,
    allowedPerSec,
    achievedPerSec: +achievedPerSec.toFixed(1),
    ofAllowed: +(achievedPerSec / allowedPerSec).toFixed(3),
    durationMs,
    tier: CAMPAIGN_ROWS,
    sentTwice: [...per.values()].filter((n) => n > 1).length,
    missing: CAMPAIGN_ROWS - per.size,
    finished: await finished(),
    peakRssMb: vmHwmMb(o.pid ?? 0),
  };
}

export function campaignRow(c: CampaignResult): string {
  return `| campaign of ${c.rows} rows: achieved / allowed rate | ${c.achievedPerSec}/s of ${c.allowedPerSec}/s (${c.ofAllowed}), ${c.sentTwice} sent twice, ${c.missing} missing, ${c.finished ? 'finished' : 'not marked finished'}, peak RSS ${c.peakRssMb} MB | | | ≥ 0.95, 0 / 0 |`;
}

/** `BENCH_ONLY=campaign`: this phase alone on a fresh database, its own sandboxes and app process. */
export async function campaignOnly(): Promise<void> {
  const stack = await benchStack(await benchDatabase(), { pollMs: 50, env: campaignEnv });
  try {
    const ch = await installChannel(stack.url, stack.portal, stack.gupshup);
    const campaign = await campaignPhase({ ...stack, ch, pid: stack.apps.pid });
    await writePhaseReport('campaign', { campaign }, { campaignOfAllowed: 0.95 }, [campaignRow(campaign)]);
  } finally {
    await stack.close();
  }
}
