/**
 * The demo's scheduled-notifications scene (issue 13): the admin makes a report "deals that reached
 * WON" told by an approved template and enables it for the main group with one recipient; two deals
 * of the sandbox portal reach the stage (their CRM events recorded); the digest tick sends the group
 * one digest; the next tick, with nothing new, sends nothing. The tick is called as its job calls it.
 */
import { api, waitFor, type Stack } from '../stack.js';
import { requestApproved } from './templates.js';

interface Say {
  say: (s?: string) => void;
  dim: (s: string) => string;
}

const STAFF = { firstName: 'Sofía', lastName: 'Supervisora', phone: '+54 9 11 5555-0404' };

/** Runs the scene; true when the group got exactly one digest with both deals. */
export async function notificationsScene(
  s: Stack,
  token: string,
  ch: { id: string },
  p: Say,
): Promise<boolean> {
  p.say();
  const created = await requestApproved(s, token, {
    channelId: ch.id,
    elementName: 'resumen_aprobaciones',
    displayName: 'Resumen de aprobaciones',
    language: 'es',
    category: 'UTILITY',
    type: 'TEXT',
    body: 'Hay {{1}} aprobaciones nuevas: {{2}}.',
    params: [
      { name: 'cantidad', example: '2' },
      { name: 'titulos', example: 'SIRA 1, SIRA 2' },
    ],
  });
  const groups = await api<{ groups: { id: number; name: string }[] }>(
    s,
    token,
    'GET',
    '/notification-groups',
  );
  const group = groups.body.groups[0];
  if (!group) throw new Error('no notification group');
  await api(s, token, 'POST', `/notification-groups/${group.id}/recipients`, STAFF);
  const report = await api<{ id: number }>(s, token, 'POST', '/notification-reports', {
    kind: 'deal_stage',
    name: 'Aprobaciones',
    stageId: 'WON',
    templateId: created.id,
    params: ['count', 'titles'],
  });
  const every = {
    preset: 'custom',
    days: 'LU,MA,MI,JU,VI,SA,DO',
    from: '00:00',
    to: '24:00',
    holidays: 'allow',
  };
  await api(s, token, 'PUT', `/notification-groups/${group.id}/reports/${report.body.id}`, {
    enabled: true,
    schedule: every,
  });
  p.say(
    `📣 Admin: group «${group.name}» gets the report «Aprobaciones» (deals reaching WON) as the approved template «Resumen de aprobaciones», every day`,
  );
  const a = s.portal.addDeal({ TITLE: 'SIRA 1' });
  const b = s.portal.addDeal({ TITLE: 'SIRA 2' });
  s.portal.updateDeal(a, { STAGE_ID: 'WON' });
  s.portal.updateDeal(b, { STAGE_ID: 'WON' });
  const recorded = () =>
    s.deps.db
      .selectFrom('notification_events')
      .select('id')
      .where('report_id', '=', report.body.id)
      .execute();
  await waitFor(async () => (await recorded()).length === 2, 30_000, 'the two CRM events');
  p.say(p.dim('   Two deals reach WON in the CRM: their events are read back and recorded once each'));

  const digests = s.deps.digests.service;
  const first = await digests.runDue(new Date(Date.now() + 60_000));
  const to = STAFF.phone.replace(/\D/g, '');
  const sent = await waitFor(() => s.gupshup.sent({ destination: to })[0], 30_000, 'the digest');
  p.say(`   Digest tick: ${first.length} digest → ${sent.rendered?.body ?? '?'}`);
  const second = await digests.runDue(new Date(Date.now() + 3 * 3_600_000));
  p.say(p.dim(`   Next tick, nothing changed: ${second.length} digests`));
  return first.length === 1 && second.length === 0 && s.gupshup.sent({ destination: to }).length === 1;
}
