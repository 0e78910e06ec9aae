import type { Kysely } from 'kysely';
import { api, connectChannel, installAndToken, type Stack } from '../../scripts/stack.js';
import type { DB } from '../../src/shared/db/schema.js';
import { addTemplate } from './templates.js';

/**
 * What the CRM side of issue 13 writes (migrations/0018): a report's matched change, recorded at a
 * chosen instant. The digest tests insert them directly; the CRM events are not theirs.
 */
let seq = 0;
export async function addEvent(
  db: Kysely<DB>,
  e: {
    portalId: number;
    reportId: number;
    title: string;
    recordedAt: Date;
    companyId?: number | null;
    entityType?: 'deal' | 'lead';
    entityId?: number;
  },
): Promise<number> {
  seq += 1;
  const row = await db
    .insertInto('notification_events')
    .values({
      portal_id: e.portalId,
      report_id: e.reportId,
      entity_type: e.entityType ?? 'deal',
      entity_id: e.entityId ?? 1000 + seq,
      company_id: e.companyId ?? null,
      title: e.title,
      dedupe_key: `test:${seq}:${e.recordedAt.toISOString()}`,
      occurred_at: e.recordedAt,
      recorded_at: e.recordedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * A portal ready for digests: installed, a channel with the approved template "Hay {{1}} novedades:
 * {{2}}", the full service on, the recipients enabled in the main group, and a report (count,
 * titles) enabled for it with `schedule`.
 */
export async function digestPortal(
  s: Stack,
  o: {
    recipients: Array<{ firstName: string; lastName: string; phone: string }>;
    schedule?: Record<string, unknown>;
  },
) {
  const token = await installAndToken(s);
  const ch = await connectChannel(s, token);
  const portalId = (await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow()).id;
  const { id: templateId } = await addTemplate(s, {
    channelId: ch.id,
    name: 'novedades',
    body: 'Hay {{1}} novedades: {{2}}',
    params: [
      { name: 'cantidad', example: '3' },
      { name: 'titulos', example: 'Pedido A, Pedido B' },
    ],
  });
  // The settings row is made on first use: the full service is switched on after it.
  const groups = await api<{ groups: { id: number }[] }>(s, token, 'GET', '/notification-groups');
  const group = groups.body.groups[0]?.id ?? 0;
  await s.deps.db.updateTable('notification_settings').set({ full_service: true }).execute();
  for (const r of o.recipients) {
    const added = await api(s, token, 'POST', `/notification-groups/${group}/recipients`, r);
    if (added.status !== 201) throw new Error(`recipient: ${added.status} ${JSON.stringify(added.body)}`);
  }
  const report = await api<{ id: number }>(s, token, 'POST', '/notification-reports', {
    kind: 'deal_stage',
    name: 'Aprobaciones',
    stageId: 'C0:WON',
    templateId,
    params: ['count', 'titles'],
  });
  const enabled = await api(s, token, 'PUT', `/notification-groups/${group}/reports/${report.body.id}`, {
    enabled: true,
    schedule: o.schedule ?? { preset: 'working' },
  });
  if (enabled.status !== 200) throw new Error(`group report: ${enabled.status}`);
  return { token, portalId, group, report: report.body.id, templateId };
}
