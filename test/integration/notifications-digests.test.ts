import { describe, expect, it } from 'vitest';
import { api, SAMPLE_PORTAL, STACK_OPERATOR_TOKEN, waitFor } from '../../scripts/stack.js';
import { addEvent, digestPortal } from '../helpers/notification-events.js';
import { anotherPortal, useStack } from '../helpers/stack.js';
import { asUser } from '../helpers/templates.js';

/**
 * Issue 13, digests through the real app and the sandbox Gupshup: the tick (`runDue`, given the
 * instant) creates a digest only after events, at most one per group per interval, only in the
 * group's hours and for its companies; each enabled recipient gets the report's template once.
 * Times are in Buenos Aires (UTC-3, no DST): Wednesday 2 December 2026 is a working day.
 */
type Digest = {
  id: number;
  reportId: number;
  reportName: string;
  kind: string;
  events: number;
  status: string;
  recipients: { recipientId: number; name: string; phoneMasked: string; status: string; error?: string }[];
};
type Refusal = { error: { code: string; issues?: { field: string; code: string }[] } };

const at = (iso: string) => new Date(iso);
const minutes = (d: Date, m: number) => new Date(d.getTime() + m * 60_000);
/** 10:00 in Buenos Aires. */
const T0 = at('2026-12-02T13:00:00Z');
const ANA = { firstName: 'Ana', lastName: 'Gómez', phone: '+54 9 11 3012-1163' };
const LUIS = { firstName: 'Luis', lastName: 'Díaz', phone: '+54 9 11 3012-1164' };
const EVA = { firstName: 'Eva', lastName: 'Ruiz', phone: '+54 9 11 3012-1165' };

describe('notification digests', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let portalId = 0;
  let main = 0;
  let report = 0;
  let templateId = '';
  const runDue = (now: Date) => s.deps.digests.service.runDue(now);
  const sentTo = (phone: string) => s.gupshup.sent({ destination: phone.replace(/\D/g, '') });
  const event = (title: string, recordedAt: Date, companyId: number | null = null) =>
    addEvent(s.deps.db, { portalId, reportId: report, title, recordedAt, companyId });
  const history = async (groupId: number) =>
    (await api<{ digests: Digest[] }>(s, token, 'GET', `/notification-groups/${groupId}/digests`)).body
      .digests;

  it('nothing when nothing happened', async () => {
    ({
      token,
      portalId,
      group: main,
      report,
      templateId,
    } = await digestPortal(s, { recipients: [ANA, LUIS] }));
    expect(await runDue(T0)).toEqual([]);
    expect(await history(main)).toEqual([]);
  });

  it('two events: one digest, one message per recipient, and nothing more while nothing changes', async () => {
    await event('Pedido 101', minutes(T0, -20));
    await event('Pedido 102', minutes(T0, -10));
    expect(await runDue(T0)).toHaveLength(1);
    await waitFor(() => sentTo(ANA.phone).length === 1 && sentTo(LUIS.phone).length === 1);
    expect(sentTo(ANA.phone)[0]?.rendered?.body).toBe('Hay 2 novedades: Pedido 101, Pedido 102');
    await waitFor(async () => (await history(main))[0]?.status === 'sent', 10_000, 'the digest sent');
    const [d] = await history(main);
    expect(d).toMatchObject({ reportId: report, reportName: 'Aprobaciones', kind: 'scheduled', events: 2 });
    expect(d?.recipients.map((r) => [r.name, r.phoneMasked])).toEqual([
      ['Ana Gómez', '+549…63'],
      ['Luis Díaz', '+549…64'],
    ]);
    expect(d?.recipients.every((r) => ['pending', 'sent', 'delivered', 'read'].includes(r.status))).toBe(
      true,
    );

    expect(await runDue(minutes(T0, 1))).toEqual([]);
    expect(await runDue(minutes(T0, 300))).toEqual([]);
    expect(sentTo(ANA.phone)).toHaveLength(1);
  });

  it('the interval: an event after a digest waits until the interval has passed', async () => {
    await event('Pedido 103', minutes(T0, 5));
    expect(await runDue(minutes(T0, 30))).toEqual([]);
    expect(await runDue(minutes(T0, 119))).toEqual([]);
    // Two ticks at once (two instances): the group's row is held while one decides; one digest.
    const [a, b] = await Promise.all([runDue(minutes(T0, 121)), runDue(minutes(T0, 121))]);
    expect([...a, ...b]).toHaveLength(1);
    await waitFor(() => sentTo(LUIS.phone).length === 2);
    expect(sentTo(LUIS.phone)[1]?.rendered?.body).toBe('Hay 1 novedades: Pedido 103');
  });

  it('events outside the hours wait for the next window', async () => {
    // 19:30 Wednesday, after the working hours (9–18).
    await event('Pedido 104', at('2026-12-02T22:30:00Z'));
    expect(await runDue(at('2026-12-02T23:00:00Z'))).toEqual([]);
    expect(await runDue(at('2026-12-03T11:59:00Z'))).toEqual([]); // 08:59 Thursday
    expect(await runDue(at('2026-12-03T12:00:00Z'))).toHaveLength(1); // 09:00
    await waitFor(() => sentTo(ANA.phone).length === 3);
    expect(sentTo(ANA.phone)[2]?.rendered?.body).toBe('Hay 1 novedades: Pedido 104');
  });

  it('a group that chose companies hears only about theirs', async () => {
    const g = await api<{ group: { id: number } }>(s, token, 'POST', '/notification-groups', {
      name: 'Cliente ACME',
    });
    const acme = g.body.group.id;
    await api(s, token, 'PATCH', `/notification-groups/${acme}`, {
      allCompanies: false,
      companies: [{ id: 7, title: 'ACME SA' }],
    });
    await api(s, token, 'POST', `/notification-groups/${acme}/recipients`, EVA);
    await api(s, token, 'PUT', `/notification-groups/${acme}/reports/${report}`, {
      enabled: true,
      schedule: { preset: 'full_time' },
    });
    await event('Pedido ACME', at('2026-12-03T12:30:00Z'), 7);
    await event('Pedido de otra empresa', at('2026-12-03T12:31:00Z'), 8);
    // 10:00 Thursday: the main group's interval (since 09:00) has not passed; ACME's first digest.
    const created = await runDue(at('2026-12-03T13:00:00Z'));
    expect(created).toHaveLength(1);
    await waitFor(() => sentTo(EVA.phone).length === 1);
    expect(sentTo(EVA.phone)[0]?.rendered?.body).toBe('Hay 1 novedades: Pedido ACME');
    expect((await history(acme))[0]).toMatchObject({ events: 1, kind: 'scheduled' });
    expect(await history(main)).toHaveLength(3);
  });

  it('a test digest goes now, outside the interval, and moves nothing', async () => {
    const before = sentTo(ANA.phone).length;
    const r = await api<{ digestId: number }>(s, token, 'POST', `/notification-groups/${main}/test-digest`, {
      reportId: report,
    });
    expect(r.status).toBe(202);
    await waitFor(() => sentTo(ANA.phone).length === before + 1 && sentTo(LUIS.phone).length === 4);
    // The latest events of the report the main group hears about (every company).
    expect(sentTo(ANA.phone).at(-1)?.rendered?.body).toBe(
      'Hay 6 novedades: Pedido 101, Pedido 102, Pedido 103, Pedido 104, Pedido ACME, Pedido de otra empresa',
    );
    expect((await history(main))[0]).toMatchObject({ id: r.body.digestId, kind: 'test', events: 6 });
    // The cursor and the interval: the two ACME-time events are still due for the main group at 11:00.
    const due = await runDue(at('2026-12-03T14:01:00Z'));
    expect(due).toHaveLength(1);
    expect((await history(main))[0]).toMatchObject({ id: due[0], kind: 'scheduled', events: 2 });
    await waitFor(() => sentTo(ANA.phone).length === before + 2);
  });

  it('a sample test digest when the report has no events; 409s the tab can explain', async () => {
    const other = await api<{ id: number }>(s, token, 'POST', '/notification-reports', {
      kind: 'new_lead',
      name: 'Leads web',
      sourceId: 'WEB',
      templateId,
      params: ['count', 'titles'],
    });
    const before = sentTo(ANA.phone).length;
    const sample = await api(s, token, 'POST', `/notification-groups/${main}/test-digest`, {
      reportId: other.body.id,
    });
    expect(sample.status).toBe(202);
    await waitFor(() => sentTo(ANA.phone).length === before + 1);
    expect(sentTo(ANA.phone).at(-1)?.rendered?.body).toBe('Hay 3 novedades: Pedido A, Pedido B');

    const noTemplate = await api<{ id: number }>(s, token, 'POST', '/notification-reports', {
      kind: 'new_lead',
      name: 'Sin plantilla',
      sourceId: 'CALL',
    });
    const refused = await api<Refusal>(s, token, 'POST', `/notification-groups/${main}/test-digest`, {
      reportId: noTemplate.body.id,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('template_not_approved');
    expect(refused.body.error.issues).toMatchObject([{ code: 'template_not_approved' }]);

    const empty = await api<{ group: { id: number } }>(s, token, 'POST', '/notification-groups', {
      name: 'Vacío',
    });
    const nobody = await api<Refusal>(
      s,
      token,
      'POST',
      `/notification-groups/${empty.body.group.id}/test-digest`,
      { reportId: report },
    );
    expect(nobody.status).toBe(409);
    expect(nobody.body.error.code).toBe('no_recipients');
  });

  it('bad input is a 400, other portals’ groups and unknown ids a 404, other roles a 403', async () => {
    const post = (path: string, body: unknown) => api<Refusal>(s, token, 'POST', path, body);
    for (const body of [{}, { reportId: 'x' }, { reportId: 0 }, { reportId: report, extra: 1 }]) {
      expect(
        (await post(`/notification-groups/${main}/test-digest`, body)).status,
        JSON.stringify(body),
      ).toBe(400);
    }
    for (const q of ['limit=0', 'limit=abc', 'limit=1000', 'other=1']) {
      expect((await api(s, token, 'GET', `/notification-groups/${main}/digests?${q}`)).status, q).toBe(400);
    }
    expect((await post('/notification-groups/abc/test-digest', { reportId: report })).status).toBe(404);
    expect((await post(`/notification-groups/${main}/test-digest`, { reportId: 999_999 })).status).toBe(404);
    expect((await api(s, token, 'GET', '/notification-groups/999999/digests')).status).toBe(404);
    const limited = await api<{ digests: Digest[] }>(
      s,
      token,
      'GET',
      `/notification-groups/${main}/digests?limit=2`,
    );
    expect(limited.body.digests).toHaveLength(2);

    // Another portal with a group of its own: this portal's token does not reach it, nor it ours.
    const other = await anotherPortal(s, 'digestother');
    const theirs = await s.deps.db
      .insertInto('notification_groups')
      .values({ portal_id: other.portalId, name: 'Ajeno' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await api(s, token, 'GET', `/notification-groups/${theirs.id}/digests`)).status).toBe(404);
    expect((await post(`/notification-groups/${theirs.id}/test-digest`, { reportId: report })).status).toBe(
      404,
    );
    const otherToken = other.token;
    expect((await api(s, otherToken, 'GET', `/notification-groups/${main}/digests`)).status).toBe(404);
    expect(
      (
        await api(s, otherToken, 'POST', `/notification-groups/${theirs.id}/test-digest`, {
          reportId: report,
        })
      ).status,
    ).toBe(404);

    const BRUNO = 2; // no chat role that allows managing notifications
    expect((await asUser(s, BRUNO, 'GET', `/notification-groups/${main}/digests`)).status).toBe(403);
    expect((await asUser(s, BRUNO, 'POST', `/notification-groups/${main}/test-digest`, {})).status).toBe(403);
  });

  it('Gupshup refuses one recipient: that one failed with the code, the digest partial', async () => {
    s.gupshup.failNextDelivery({
      destination: ANA.phone.replace(/\D/g, ''),
      code: 1002,
      reason: 'Number Does Not Exist On WhatsApp',
    });
    await event('Pedido 105', at('2026-12-03T16:05:00Z'));
    expect(await runDue(at('2026-12-03T16:10:00Z'))).toHaveLength(1); // 13:10, 2 h 9 min after 11:01
    await waitFor(async () => (await history(main))[0]?.status === 'partial', 20_000, 'the partial digest');
    const [d] = await history(main);
    expect(d?.recipients.map((r) => r.status)).toEqual([
      'failed',
      expect.stringMatching(/sent|delivered|read/),
    ]);
    expect(d?.recipients[0]?.error).toBeTruthy();
  });

  it('a template no longer approved: the sends fail, with the trace and the digest’s status', async () => {
    await s.deps.db.updateTable('templates').set({ status: 'paused' }).where('id', '=', templateId).execute();
    await event('Pedido 106', at('2026-12-03T18:30:00Z'));
    const [id] = await runDue(at('2026-12-03T19:00:00Z')); // 16:00 Thursday, 2 h 50 min after 13:10
    expect(id).toBeDefined();
    await waitFor(async () => (await history(main))[0]?.status === 'failed', 10_000, 'the failed digest');
    const [d] = await history(main);
    expect(d?.recipients.map((r) => [r.status, r.error])).toEqual([
      ['failed', 'template_not_approved'],
      ['failed', 'template_not_approved'],
    ]);
    const trace = await s.deps.db
      .selectFrom('trace')
      .select(['step', 'code', 'detail'])
      .where('step', '=', 'digest_send_failed')
      .execute();
    expect(trace).toHaveLength(2);
    expect(trace.every((t) => t.code === 'template_not_approved' && !t.detail?.includes('3012'))).toBe(true);
    await s.deps.db
      .updateTable('templates')
      .set({ status: 'approved' })
      .where('id', '=', templateId)
      .execute();
  });

  it('when the trial is over nothing is sent', async () => {
    await fetch(`${s.url}/api/v1/operator/notifications/${portalId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${STACK_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fullService: false }),
    });
    await s.deps.db
      .updateTable('notification_settings')
      .set({ trial_started_at: at('2026-11-01T00:00:00Z') })
      .execute();
    await event('Pedido 107', at('2026-12-04T13:00:00Z'));
    expect(await runDue(at('2026-12-04T17:00:00Z'))).toEqual([]);
    const r = await api<Refusal>(s, token, 'POST', `/notification-groups/${main}/test-digest`, {
      reportId: report,
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('service_inactive');
  });
});
