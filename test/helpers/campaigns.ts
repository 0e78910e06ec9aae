import { beforeAll, expect } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  waitFor,
  type DemoChannel,
  type Stack,
} from '../../scripts/stack.js';
import type { CampaignCounts } from '../../src/modules/campaigns/campaign-model.js';
import type { Database } from '../../src/shared/db/database.js';
import { useStack } from './stack.js';
import { addTemplate, type TestTemplate } from './templates.js';

/**
 * Campaign sending tests: a campaign made through the API, its list filled straight into the
 * database as the lists side leaves it (rows 'ready' with their E.164 number and parameters), and
 * the campaign's JSON read back.
 */
export interface Campaign {
  id: number;
  name: string;
  status: string;
  statusReason: string | null;
  counts: CampaignCounts;
  [k: string]: unknown;
}

/** Numbers `+54 9 11 4000-<base+i>` as E.164. */
export function phones(n: number, base = 0): string[] {
  return Array.from({ length: n }, (_, i) => `+549114000${String(base + i).padStart(4, '0')}`);
}

export async function createCampaign(
  s: Stack,
  token: string,
  body: Record<string, unknown>,
): Promise<Campaign> {
  const r = await api<Campaign>(s, token, 'POST', '/campaigns', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

/** The list as the lists side leaves it once read: one 'ready' row per number, in order. */
export async function fillList(
  db: Database,
  campaignId: number,
  numbers: string[],
  params: (i: number) => string[] = (i) => [`Cliente ${i}`, `P-${i}`],
): Promise<void> {
  if (numbers.length) {
    await db
      .insertInto('campaign_rows')
      .values(
        numbers.map((phone, i) => ({
          campaign_id: campaignId,
          line_no: i + 1,
          raw_phone: phone,
          phone_e164: phone,
          params: JSON.stringify(params(i)),
          status: 'ready' as const,
        })),
      )
      .execute();
  }
  await db
    .updateTable('campaigns')
    .set({ list_source: 'csv', list_status: 'ready', rows_total: numbers.length })
    .where('id', '=', campaignId)
    .execute();
}

export async function campaign(s: Stack, token: string, id: number): Promise<Campaign> {
  const r = await api<Campaign>(s, token, 'GET', `/campaigns/${id}`);
  expect(r.status).toBe(200);
  return r.body;
}

export function waitStatus(s: Stack, token: string, id: number, status: string, ms = 30_000) {
  return waitFor(
    async () => {
      const c = await campaign(s, token, id);
      return c.status === status ? c : undefined;
    },
    ms,
    `campaign ${id} ${status}`,
  );
}

/** How many template messages Gupshup got for each number (digits only). */
export function sendsPer(s: Stack, appName: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of s.gupshup.sent({ appName })) out.set(m.destination, (out.get(m.destination) ?? 0) + 1);
  return out;
}

export const digits = (phone: string) => phone.replace(/\D/g, '');

/** A window open every day, all day. */
export const ALWAYS = { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' };

/**
 * The setup most campaign tests share: a stack, the app installed, channel 1 on open line 1 and its
 * approved template «aviso» (filled in before the tests run), and the state changes by API.
 */
export function useCampaignStack(opts: Parameters<typeof useStack>[0] = {}) {
  const s = useStack(opts);
  const c = {
    s,
    token: '',
    ch: undefined as unknown as DemoChannel,
    tpl: undefined as unknown as TestTemplate,
    act: (id: number, action: string) => api<Campaign>(s, c.token, 'POST', `/campaigns/${id}/${action}`),
  };
  beforeAll(async () => {
    c.token = await installAndToken(s);
    c.ch = await connectChannel(s, c.token, 1, 1);
    c.tpl = await addTemplate(s, { channelId: c.ch.id, name: 'aviso' });
  });
  return c;
}
