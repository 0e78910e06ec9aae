import { beforeAll, describe, expect, it } from 'vitest';
import { installAndToken, SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { setUpSms, SMS_CODE, smsOf, smsReaches } from '../helpers/sms.js';

/**
 * The two stages of an SMS's status (issue 15): accepted by SMSAPI (its id and points), then delivered
 * or undelivered from the delivery reports, whatever their order and however often they come, and
 * Bitrix24 told each step once, in order.
 */
describe('SMS status: accepted, then delivered or undelivered', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let secret: string;

  beforeAll(async () => {
    const token = await installAndToken(s);
    await waitFor(() => s.portal.smsSenders().length > 0, 20_000, 'messageservice.sender.add');
    await setUpSms(s, token);
    const row = await s.deps.db
      .selectFrom('sms_settings')
      .select(['portal_id', 'dlr_secret'])
      .executeTakeFirstOrThrow();
    secret = s.deps.sms.dlr.of(row.portal_id, row.dlr_secret); // the URL's secret, not the stored nonce
  });

  const trace = (id: number) =>
    s.deps.db
      .selectFrom('trace')
      .select(['step', 'detail'])
      .where('detail', 'like', `sms #${id}%`)
      .orderBy('id')
      .execute();

  it('reports out of order and repeated: delivered stays delivered; Bitrix24 hears sent, delivered once', async () => {
    s.smsapi.holdReports(true);
    const r = await s.portal.sendSms({ code: SMS_CODE, to: '+5491100008001', text: 'Pedido listo' });
    const accepted = await smsReaches(s, r.messageId, 'accepted');
    expect(accepted.smsapi_id).toBeTruthy();
    expect(accepted.points).toBeGreaterThan(0);
    await waitFor(() => s.portal.smsStatuses(r.messageId).includes('sent'));
    // 404 DELIVERED first, then 403 SENT: the late 403 does not move it back.
    await s.smsapi.releaseReports({ reverse: true });
    s.smsapi.holdReports(false);
    await s.smsapi.settle();
    await smsReaches(s, r.messageId, 'delivered');
    // The same reports again, and again out of order.
    await s.smsapi.deliverReport(accepted.smsapi_id ?? '', 403);
    await s.smsapi.deliverReport(accepted.smsapi_id ?? '', 404);
    await s.smsapi.settle();
    await waitFor(async () => {
      const jobs = await s.deps.db
        .selectFrom('jobs')
        .select('status')
        .where('topic', 'in', ['sms.dlr', 'sms.b24status'])
        .where('status', 'in', ['pending', 'running'])
        .execute();
      return jobs.length === 0;
    });
    expect((await smsOf(s, r.messageId))?.status).toBe('delivered');
    expect(s.portal.smsStatuses(r.messageId)).toEqual(['sent', 'delivered']);
    const steps = (await trace(accepted.id)).map((t) => t.step);
    expect(steps.filter((x) => x === 'sms_delivered')).toHaveLength(1);
    expect(steps).toContain('sms_accepted');
    // Every callback was answered OK, and nothing in the trace names the number or the text.
    expect(s.smsapi.reports().every((d) => d.status === 200 && d.body === 'OK')).toBe(true);
    for (const t of await trace(accepted.id)) expect(t.detail).not.toMatch(/5491100008001|Pedido/);
  });

  it('an undelivered number: undelivered here and in Bitrix24', async () => {
    const r = await s.portal.sendSms({ code: SMS_CODE, to: '+5491100000000', text: 'Hola' });
    await smsReaches(s, r.messageId, 'undelivered');
    await waitFor(() => s.portal.smsStatuses(r.messageId).includes('undelivered'));
    expect(s.portal.smsStatuses(r.messageId)).toEqual(['sent', 'undelivered']);
  });

  it('the callback: unknown secret 404, not a report 400, GET and POST forms both read', async () => {
    const unknown = await fetch(`${s.url}/webhooks/smsapi/not-a-secret-at-all-000000?MsgId=1&status=404`);
    expect(unknown.status).toBe(404);
    const garbage = await fetch(`${s.url}/webhooks/smsapi/${secret}?MsgId=a,b&status=404`);
    expect(garbage.status).toBe(400);
    const r = await s.portal.sendSms({ code: SMS_CODE, to: '+5491100008002', text: 'Hola' });
    const row = await smsReaches(s, r.messageId, 'accepted', 'delivered');
    const form = new URLSearchParams({
      MsgId: row.smsapi_id ?? '',
      status: '404',
      status_name: 'DELIVERED',
      idx: row.idx,
      donedate: String(Math.floor(Date.now() / 1000)),
      points: '0.16',
    });
    const post = await fetch(`${s.url}/webhooks/smsapi/${secret}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect([post.status, await post.text()]).toEqual([200, 'OK']);
    await smsReaches(s, r.messageId, 'delivered');
    // A forged report (the secret leaked) naming SMSAPI's id with a wrong idx changes nothing.
    s.smsapi.holdReports(true);
    const held = await s.portal.sendSms({ code: SMS_CODE, to: '+5491100008004', text: 'Hola' });
    const pending = await smsReaches(s, held.messageId, 'accepted');
    const forged = await fetch(
      `${s.url}/webhooks/smsapi/${secret}?MsgId=${pending.smsapi_id ?? ''}&status=405&idx=guessed`,
    );
    expect(forged.status).toBe(200);
    await s.smsapi.settle();
    await waitFor(async () => {
      const open = await s.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('topic', '=', 'sms.dlr')
        .where('status', 'in', ['pending', 'running'])
        .execute();
      return open.length === 0;
    });
    expect((await smsOf(s, held.messageId))?.status).toBe('accepted');
    await s.smsapi.releaseReports();
    s.smsapi.holdReports(false);
    await smsReaches(s, held.messageId, 'delivered');
    // A report for a message of another portal (or none) changes nothing here.
    const stray = await fetch(`${s.url}/webhooks/smsapi/${secret}?MsgId=999999&status=405&idx=nope`);
    expect(stray.status).toBe(200);
  });

  it('an answer lost to the time-out: retried with the same idx, SMSAPI refuses the repeat (53), sent once, delivered', async () => {
    await s.deps.db.updateTable('sms_settings').set({ timeout_ms: 1000 }).execute();
    s.smsapi.failNext({ delayMs: 1500 });
    // Reports held: the retry cannot be overtaken by the first attempt's own report.
    s.smsapi.holdReports(true);
    const r = await s.portal.sendSms({ code: SMS_CODE, to: '+5491100008003', text: 'Hola' });
    // Whichever attempt SMSAPI saw first was sent; the other was refused as a repeated idx.
    const tries = () =>
      s.smsapi.requests().filter((q) => q.path === '/sms.do' && q.params?.['to'] === '5491100008003');
    await waitFor(() => tries().some((q) => q.error === 53), 20_000, 'the repeat refused with 53');
    await smsReaches(s, r.messageId, 'accepted');
    await s.smsapi.releaseReports();
    s.smsapi.holdReports(false);
    const row = await smsReaches(s, r.messageId, 'delivered');
    const sent = s.smsapi.sent({ to: '5491100008003' });
    expect(sent).toHaveLength(1);
    expect(row).toMatchObject({ smsapi_id: sent[0]?.id, idx: sent[0]?.idx });
    expect(new Set(tries().map((q) => q.params?.['idx']))).toEqual(new Set([row.idx]));
    await waitFor(() => s.portal.smsStatuses(r.messageId).includes('delivered'));
    expect(s.portal.smsStatuses(r.messageId)).toEqual(['sent', 'delivered']);
    await s.deps.db.updateTable('sms_settings').set({ timeout_ms: 10000 }).execute();
  });

  it('uninstall deletes the SMSAPI token; a late report is still answered OK', async () => {
    const res = await s.portal.uninstallApp({ clean: true });
    expect(res.map((r) => r.status)).toEqual([200]);
    const row = await s.deps.db.selectFrom('sms_settings').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ token_enc: null, provider_registered_at: null });
    const late = await fetch(`${s.url}/webhooks/smsapi/${secret}?MsgId=999998&status=404&idx=late`);
    expect(late.status).toBe(200);
  });
});
