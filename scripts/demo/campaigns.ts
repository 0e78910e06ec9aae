/**
 * The demo's campaign scene (issue 14): the admin makes a campaign "Recordatorio de turnos" with an
 * approved template, uploads a CSV of four customers of which one line has a bad number (shown in the
 * preview with its reason, never sent), starts it, and the three good rows go out once each, paced.
 * One customer answers: the answer opens an open-line chat where the agent sees which campaign it
 * answers. The funnel queued → sent → delivered → read → replied is printed from the report.
 */
import { api, waitFor, type Stack } from '../stack.js';
import { requestApproved } from './templates.js';

interface Say {
  say: (s?: string) => void;
  dim: (s: string) => string;
}

interface Report {
  funnel: { queued: number; sent: number; delivered: number; read: number; replied: number; failed: number };
  failures: Array<{ code: string; count: number; message: string }>;
  progress: number;
}

const LUCIA = '5491155552001';
const CSV = [
  'telefono;nombre;param1;param2',
  '+54 9 11 5555-2001;Lucía Pérez;Lucía;martes 2/12 a las 10:00',
  '5491155552002;Pedro Gómez;Pedro;martes 2/12 a las 11:30',
  '12345;Sin Número;Nadie;jueves',
  '011 15-5555-2004;Ana Ruiz;Ana;miércoles 3/12 a las 9:00',
].join('\r\n');

/** Runs the scene; true when the three good rows were sent once each and the reply was routed. */
export async function campaignScene(
  s: Stack,
  token: string,
  ch: { id: string; appName: string },
  p: Say,
): Promise<boolean> {
  p.say();
  const tpl = (
    await requestApproved(s, token, {
      channelId: ch.id,
      elementName: 'recordatorio_turno',
      displayName: 'Recordatorio de turno',
      language: 'es',
      category: 'UTILITY',
      type: 'TEXT',
      body: 'Hola {{1}}, te recordamos tu turno del {{2}}. Respondé este mensaje si tenés dudas.',
      params: [
        { name: 'nombre', example: 'Lucía' },
        { name: 'turno', example: 'martes a las 10:00' },
      ],
    })
  ).id;
  const created = await api<{ id: number }>(s, token, 'POST', '/campaigns', {
    name: 'Recordatorio de turnos',
    channelId: ch.id,
    templateId: tpl,
    window: { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' },
    timeZone: 'America/Argentina/Buenos_Aires',
    ratePerMinute: 600,
  });
  if (created.status !== 201) throw new Error(`campaign not created: ${JSON.stringify(created.body)}`);
  const id = created.body.id;
  const up = await fetch(`${s.url}/api/v1/campaigns/${id}/list`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: CSV,
  });
  if (up.status !== 200) throw new Error(`list refused: ${up.status} ${await up.text()}`);
  const preview = await api<{
    rows: Array<{ line: number; text: string }>;
    rejected: Array<{ line: number; rawPhone: string; message: string }>;
    counts: { rows: number; valid: number; rejected: number };
  }>(s, token, 'GET', `/campaigns/${id}/preview?limit=1`);
  const { rows, rejected, counts } = preview.body;
  p.say(
    `📢 Admin: campaign «Recordatorio de turnos» from a CSV of ${counts.rows} customers → ${counts.valid} ready, ${counts.rejected} rejected`,
  );
  p.say(p.dim(`   Preview, line ${rows[0]?.line}: ${rows[0]?.text ?? '?'}`));
  for (const r of rejected) p.say(p.dim(`   Rejected, line ${r.line} («${r.rawPhone}»): ${r.message}`));

  const started = await api(s, token, 'POST', `/campaigns/${id}/start`);
  if (started.status !== 200) throw new Error(`campaign not started: ${JSON.stringify(started.body)}`);
  await waitFor(
    async () =>
      (await api<{ status: string }>(s, token, 'GET', `/campaigns/${id}`)).body.status === 'finished',
    60_000,
    'the campaign finished',
  );
  await waitFor(() => s.gupshup.sent({ destination: LUCIA }).length >= 1, 30_000, 'the campaign message');

  p.say(`📱 Lucía Pérez: Sí, confirmo el turno 👍`);
  await s.gupshup.customerSends({
    appName: ch.appName,
    from: LUCIA,
    name: 'Lucía Pérez',
    text: 'Sí, confirmo el turno 👍',
  });
  const reply = await waitFor(
    () => s.portal.messages({ author: 'customer' }).find((m) => m.externalChatId === LUCIA),
    30_000,
    'the reply in an open-line chat',
  );
  const note = await waitFor(
    () => s.portal.chatLines(reply.chatId).find((l) => l.text.includes('Recordatorio de turnos')),
    30_000,
    'the campaign shown in the chat',
  );
  p.say(p.dim(`   The answer opened an open-line chat on line 1; the agent sees: ${firstLine(note.text)}`));

  const report = await waitFor(
    async () => {
      const r = (await api<Report>(s, token, 'GET', `/campaigns/${id}/report`)).body;
      return r.funnel.read >= 3 && r.funnel.replied >= 1 ? r : undefined;
    },
    30_000,
    'the funnel',
  );
  const f = report.funnel;
  p.say(
    `   Funnel: queued ${f.queued} → sent ${f.sent} → delivered ${f.delivered} → read ${f.read} → replied ${f.replied}; failed ${f.failed}`,
  );
  const once = ['5491155552001', '5491155552002', '5491155552004'].every(
    (n) => s.gupshup.sent({ destination: n }).length === 1,
  );
  p.say(p.dim(`   Each good row sent once: ${once ? 'yes' : 'NO'}; the bad line was never sent`));
  return once && f.queued === 3 && f.replied === 1 && rejected.length === 1;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/\[\/?[a-z]+[^\]]*\]/gi, '').slice(0, 120);
}
