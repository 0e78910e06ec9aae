import { beforeAll, describe, expect, it } from 'vitest';
import { installAndToken, SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { anotherPortal, useStack } from '../helpers/stack.js';
import { notifyUrl, setUpSms, SMS_CODE, smsOf, smsReaches } from '../helpers/sms.js';

/**
 * Attacker's side of SMSAPI's delivery-report callback (review of issue 15): the callback's secret
 * leaked, or the database copied, must not let anyone mark an SMS delivered or undelivered.
 */
describe('review: SMS delivery reports from someone who is not SMSAPI', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let portalId: number;

  beforeAll(async () => {
    const token = await installAndToken(s);
    await waitFor(() => s.portal.smsSenders().length > 0, 20_000, 'messageservice.sender.add');
    await setUpSms(s, token);
    portalId = (await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow()).id;
  });

  /** Waits until no report job is left to run. */
  const reportsApplied = () =>
    waitFor(async () => {
      const open = await s.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('topic', '=', 'sms.dlr')
        .where('status', 'in', ['pending', 'running'])
        .execute();
      return open.length === 0;
    });

  /** An SMS accepted by SMSAPI whose own reports are held back. */
  async function heldSms(to: string) {
    s.smsapi.holdReports(true);
    const r = await s.portal.sendSms({ code: SMS_CODE, to, text: 'Hola' });
    const row = await smsReaches(s, r.messageId, 'accepted');
    return { messageId: r.messageId, row };
  }

  async function release(messageId: string) {
    await s.smsapi.releaseReports();
    s.smsapi.holdReports(false);
    await smsReaches(s, messageId, 'delivered');
  }

  it('a report without our idx changes nothing, even with SMSAPI’s id and the portal’s own URL', async () => {
    const { messageId, row } = await heldSms('+5491100009001');
    const url = notifyUrl(s);
    const forged = await fetch(`${url}?MsgId=${row.smsapi_id ?? ''}&status=405&status_name=UNDELIVERED`);
    expect([forged.status, await forged.text()]).toEqual([200, 'OK']);
    const posted = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ MsgId: row.smsapi_id, status: '404', idx: '' }),
    });
    expect(posted.status).toBe(200);
    await reportsApplied();
    expect((await smsOf(s, messageId))?.status).toBe('accepted');
    await release(messageId);
  });

  it('the stored report nonce is not the URL: a copied database cannot forge reports', async () => {
    const { messageId, row } = await heldSms('+5491100009002');
    const nonce = (await s.deps.db.selectFrom('sms_settings').select('dlr_secret').executeTakeFirstOrThrow())
      .dlr_secret;
    const q = `MsgId=${row.smsapi_id ?? ''}&idx=${row.idx}&status=405`;
    const copied = await fetch(`${s.url}/webhooks/smsapi/${nonce}?${q}`);
    expect(copied.status).toBe(404);
    // The portal's real URL with one character changed, or with another portal's number in front.
    const url = notifyUrl(s);
    const secret = url.slice(url.lastIndexOf('/') + 1);
    const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    expect((await fetch(`${s.url}/webhooks/smsapi/${flipped}?${q}`)).status).toBe(404);
    const renumbered = secret.replace(/^\d+/, String(portalId + 1));
    expect((await fetch(`${s.url}/webhooks/smsapi/${renumbered}?${q}`)).status).toBe(404);
    await reportsApplied();
    expect((await smsOf(s, messageId))?.status).toBe('accepted');
    await release(messageId);
  });

  it('one portal’s URL naming another portal’s SMS (its idx and id) changes nothing there', async () => {
    const stranger = await anotherPortal(s, 'dlrx');
    const theirs = await s.deps.db
      .insertInto('sms_messages')
      .values({
        portal_id: stranger.portalId,
        source: 'api',
        to_raw: '+5491100009003',
        to_e164: '+5491100009003',
        content: JSON.stringify({ text: 'x' }),
        smsapi_id: 'STRANGER0001',
        status: 'accepted',
      })
      .returning(['id', 'idx'])
      .executeTakeFirstOrThrow();
    const url = notifyUrl(s);
    const r = await fetch(`${url}?MsgId=STRANGER0001&idx=${theirs.idx}&status=404`);
    expect(r.status).toBe(200);
    await reportsApplied();
    const after = await s.deps.db
      .selectFrom('sms_messages')
      .select(['status', 'report_status'])
      .where('id', '=', theirs.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ status: 'accepted', report_status: null });
  });

  it('odd callbacks are a 4xx, never a 5xx, and store no job', async () => {
    const url = notifyUrl(s);
    const jobs = async () =>
      (await s.deps.db.selectFrom('jobs').select('id').where('topic', '=', 'sms.dlr').execute()).length;
    const before = await jobs();
    const cases: Array<[string, RequestInit | undefined, string]> = [
      [`${url}?MsgId[]=a&status=404`, undefined, 'array MsgId'],
      [`${url}?MsgId[a]=b&status[x]=404`, undefined, 'object params'],
      [`${url}?MsgId=%E2%80%AEabc&status=404`, undefined, 'RTL mark'],
      [`${url}?MsgId=${'A'.repeat(70)}&status=404`, undefined, 'long id'],
      [`${url}?MsgId=a&status=40%00`, undefined, 'NUL'],
      [`${url}?MsgId=a&status=404&donedate=1e99`, undefined, 'odd date'],
      [`${url}?MsgId=a,b&status=404`, undefined, 'lists of different lengths'],
      [url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' }, 'JSON list'],
      [url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"MsgId"' }, 'string'],
      [url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"MsgId":' }, 'cut'],
      [
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ MsgId: { $gt: '' }, status: 404 }),
        },
        'operator object',
      ],
      [url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<a/>' }, 'XML'],
      [
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `MsgId=a&status=404&pad=${'x'.repeat(2_000_000)}`,
        },
        'huge body',
      ],
      [`${s.url}/webhooks/smsapi/${'9'.repeat(500)}?MsgId=a&status=404`, undefined, 'long secret'],
      [`${s.url}/webhooks/smsapi/%00?MsgId=a&status=404`, undefined, 'NUL secret'],
      [`${s.url}/webhooks/smsapi/%ED%A0%80?MsgId=a&status=404`, undefined, 'surrogate secret'],
    ];
    for (const [u, init, what] of cases) {
      const r = await fetch(u, init);
      expect(r.status, what).toBeGreaterThanOrEqual(400);
      expect(r.status, what).toBeLessThan(500);
    }
    expect(await jobs()).toBe(before);
  });
});
