import { beforeAll, describe, expect, it } from 'vitest';
import { api, installAndToken, SAMPLE_PORTAL, STACK_APP_SECRET, waitFor } from '../../scripts/stack.js';
import { openToken, tokenBox } from '../../src/modules/sms/sms-settings.service.js';
import { anotherPortal, useStack } from '../helpers/stack.js';
import { setUpSms, SMS_CODE, smsOf, smsReaches } from '../helpers/sms.js';
import { asUser } from '../helpers/templates.js';

interface Settings {
  configured: boolean;
  tokenState: string;
  senderName: string | null;
  providerRegistered: boolean;
  balance: { points: number } | null;
}
interface Refusal {
  error: { code: string; message: string; issues?: Array<{ field: string; code: string; message: string }> };
}

/**
 * The app as the portal's SMS provider (issue 15) against the sandbox portal and the sandbox SMSAPI:
 * registration, the provider handler (good, forged, malformed, replayed), consent, the settings'
 * checks with SMSAPI, and the token that stops opening when the database moves.
 */
describe('SMS through SMSAPI as Bitrix24’s SMS provider', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token: string;
  const handler = () => `${s.url}/b24/sms`;

  beforeAll(async () => {
    token = await installAndToken(s);
    // The provider is registered by the install's follow-up job.
    await waitFor(() => s.portal.smsSenders().length > 0, 20_000, 'messageservice.sender.add');
    await setUpSms(s, token);
  });

  it('install registered the provider; registering again (already installed) is success', async () => {
    const [sender] = s.portal.smsSenders();
    expect(sender).toMatchObject({ code: SMS_CODE, fields: { TYPE: 'SMS', HANDLER: handler() } });
    expect(sender?.fields['NAME']).toMatchObject({
      es: expect.any(String) as string,
      en: expect.any(String) as string,
    });
    const again = await api(s, token, 'POST', '/sms/register');
    expect(again).toEqual({ status: 200, body: { providerRegistered: true } });
    expect(s.portal.smsSenders()).toHaveLength(1);
    const view = await api<Settings>(s, token, 'GET', '/sms/settings');
    expect(view.body).toMatchObject({
      configured: true,
      tokenState: 'ok',
      senderName: 'WAB24',
      providerRegistered: true,
      balance: { points: expect.any(Number) as number },
    });
  });

  it('settings: admins only; SMSAPI checks the token and the sender', async () => {
    expect((await asUser(s, 2, 'GET', '/sms/settings')).status).toBe(403);
    expect((await asUser(s, 2, 'PUT', '/sms/settings', { testMode: true })).status).toBe(403);
    expect((await asUser(s, 2, 'POST', '/sms/messages', { to: '+5491100001111', text: 'x' })).status).toBe(
      403,
    );
    const inactive = await api<Refusal>(s, token, 'PUT', '/sms/settings', { senderName: 'PROMO' });
    expect(inactive.status).toBe(400);
    expect(inactive.body.error.issues).toEqual([
      expect.objectContaining({ field: 'senderName', code: 'sender_not_approved' }),
    ]);
    const badToken = await api<Refusal>(s, token, 'PUT', '/sms/settings', { token: 'not-a-real-token-0000' });
    expect(badToken.status).toBe(400);
    expect(badToken.body.error.issues).toEqual([
      expect.objectContaining({ field: 'token', code: 'token_rejected' }),
    ]);
    const badCountry = await api(s, token, 'PUT', '/sms/settings', { allowedCountries: ['XX'] });
    expect(badCountry.status).toBe(400);
    const foreignChannel = await api(s, token, 'PUT', '/sms/settings', {
      fallbackChannelIds: ['0b6f7c9e-1d2a-4c1b-9f3e-5a6b7c8d9e0f'],
    });
    expect(foreignChannel.status).toBe(400);
    const tooManyParts = await api(s, token, 'PUT', '/sms/settings', { maxParts: 7 });
    expect(tooManyParts.status).toBe(400); // SMSAPI's ceiling is 6
    // Nothing of the refused changes stuck.
    expect((await api<Settings>(s, token, 'GET', '/sms/settings')).body).toMatchObject({
      tokenState: 'ok',
      senderName: 'WAB24',
    });
  });

  it('a CRM card’s SMS: stored, sent once with our idx, reported sent then delivered', async () => {
    const r = await s.portal.sendSms({
      code: SMS_CODE,
      to: '48500100200', // the seed's 48XXXXXXXXX
      text: 'Zamówienie gotowe',
      bindings: [{ ownerTypeId: 2, ownerId: 901 }],
    });
    expect(r.status).toBe(200);
    const row = await smsReaches(s, r.messageId, 'delivered');
    expect(row).toMatchObject({ source: 'b24', to_e164: '+48500100200', encoding: 'UCS-2', parts: 1 });
    expect(row.smsapi_id).toBeTruthy();
    const sent = s.smsapi.sent({ to: '48500100200' });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ idx: row.idx });
    await waitFor(() => s.portal.smsStatuses(r.messageId).includes('delivered'));
    expect(s.portal.smsStatuses(r.messageId)).toEqual(['sent', 'delivered']);
  });

  it('forged calls are refused before anything is read or stored', async () => {
    const before = await s.deps.db.selectFrom('sms_messages').select('id').execute();
    const wrong = await s.portal.sendSms({
      code: SMS_CODE,
      to: '48500100201',
      text: 'x',
      auth: { application_token: 'forged' },
    });
    expect(wrong.status).toBe(403);
    const unknown = await s.portal.sendSms({
      code: SMS_CODE,
      to: '48500100201',
      text: 'x',
      auth: { member_id: 'nobody' },
    });
    expect(unknown.status).toBe(401);
    const none = await s.portal.sendSms({
      code: SMS_CODE,
      to: '48500100201',
      text: 'x',
      rawBody: 'message_to=1&message_body=x',
    });
    expect(none.status).toBe(401);
    expect(await s.deps.db.selectFrom('sms_messages').select('id').execute()).toEqual(before);
  });

  it('malformed calls (genuine auth) are a 400, never a 5xx', async () => {
    const empty = await s.portal.sendSms({ code: SMS_CODE, to: '48500100202', text: '' });
    expect(empty.status).toBe(400);
    const badBinding = await s.portal.sendSms({
      code: SMS_CODE,
      to: '48500100202',
      text: 'hola',
      bindings: [{ ownerTypeId: -1, ownerId: 0 }],
    });
    expect(badBinding.status).toBe(400);
    const odd = await s.portal.sendSms({ code: SMS_CODE, to: '\u202e+48 500', text: 'hola' });
    expect(odd.status).toBe(200); // stored, then refused by the job as a bad number
    const row = await smsReaches(s, odd.messageId, 'failed');
    expect(row.error_code).toBe('phone_invalid');
    await waitFor(() => s.portal.smsStatuses(odd.messageId).includes('failed'));
  });

  it('a replayed call stores and sends once', async () => {
    const first = await s.portal.sendSms({ code: SMS_CODE, to: '48500100203', text: 'Raz' });
    const again = await s.portal.sendSms({
      code: SMS_CODE,
      to: '48500100203',
      text: 'Raz',
      messageId: first.messageId,
    });
    expect([first.status, again.status]).toEqual([200, 200]);
    await smsReaches(s, first.messageId, 'accepted', 'delivered');
    const rows = await s.deps.db
      .selectFrom('sms_messages')
      .select('id')
      .where('bitrix_message_id', '=', first.messageId)
      .execute();
    expect(rows).toHaveLength(1);
    expect(s.smsapi.sent({ to: '48500100203' })).toHaveLength(1);
  });

  it('consent: a contact without the chosen field set is refused with the reason, and Bitrix24 hears failed', async () => {
    const fields = await api<Array<{ code: string; label: string }>>(s, token, 'GET', '/sms/consent-fields');
    expect(fields.body).toContainEqual({ code: 'UF_CRM_SMS_CONSENT', label: 'Acepta SMS' });
    await setUpSms(s, token, { consentField: 'UF_CRM_SMS_CONSENT' });
    const yes = s.portal.addCrmContact({
      name: 'Sí',
      phone: '+54 9 11 0000-5001',
      assignedById: 1,
      fields: { UF_CRM_SMS_CONSENT: true },
    });
    const no = s.portal.addCrmContact({
      name: 'No',
      phone: '+54 9 11 0000-5002',
      assignedById: 1,
      fields: { UF_CRM_SMS_CONSENT: false },
    });
    const refused = await s.portal.sendSms({
      code: SMS_CODE,
      to: '+5491100005002',
      text: 'Hola',
      bindings: [{ ownerTypeId: 3, ownerId: no }],
    });
    const row = await smsReaches(s, refused.messageId, 'failed');
    expect(row.error_code).toBe('no_consent');
    expect(row.error_detail).toContain('UF_CRM_SMS_CONSENT');
    await waitFor(() => s.portal.smsStatuses(refused.messageId).includes('failed'));
    expect(s.smsapi.sent({ to: '5491100005002' })).toHaveLength(0);
    // Found by its number (no binding): sent.
    const ok = await s.portal.sendSms({ code: SMS_CODE, to: '+54 9 11 0000-5001', text: 'Hola' });
    await smsReaches(s, ok.messageId, 'accepted', 'delivered');
    expect(s.smsapi.sent({ to: '5491100005001' })).toHaveLength(1);
    expect(yes).toBeGreaterThan(0);
    // Nobody in the CRM has this number: consent cannot be shown.
    const stranger = await s.portal.sendSms({ code: SMS_CODE, to: '+5491100005003', text: 'Hola' });
    expect((await smsReaches(s, stranger.messageId, 'failed')).error_code).toBe('no_contact');
    const steps = await s.deps.db
      .selectFrom('trace')
      .select(['step', 'code', 'detail'])
      .where('step', '=', 'sms_refused')
      .execute();
    expect(steps.map((t) => t.code)).toEqual(expect.arrayContaining(['no_consent', 'no_contact']));
    for (const t of steps) expect(t.detail).not.toMatch(/5491100005|Hola/);
    await setUpSms(s, token, { consentField: null });
  });

  it('moved database: a token sealed for another portal or app secret does not open; sends are refused', async () => {
    const portalId = (
      await s.deps.db
        .selectFrom('portals')
        .select('id')
        .where('member_id', '=', s.portal.memberId)
        .executeTakeFirstOrThrow()
    ).id;
    const mine = await s.deps.db
      .selectFrom('sms_settings')
      .selectAll()
      .where('portal_id', '=', portalId)
      .executeTakeFirstOrThrow();
    // Another APP_SECRET (the database restored on another server) cannot open it.
    expect(
      openToken('another-app-secret-0123456789abcdef0123456789', s.portal.memberId, mine.token_enc).state,
    ).toBe('reenter');
    expect(openToken(STACK_APP_SECRET, s.portal.memberId, mine.token_enc).state).toBe('ok');
    // The row copied to another portal: that portal must enter the token again.
    const other = await anotherPortal(s, 'smscopy');
    await s.deps.db
      .insertInto('sms_settings')
      .values({ ...mine, portal_id: other.portalId, dlr_secret: `${mine.dlr_secret}-copy` })
      .execute();
    const view = await api<Settings>(s, other.token, 'GET', '/sms/settings');
    expect(view.body).toMatchObject({ tokenState: 'reenter', configured: false, balance: null });
    const refused = await fetch(`${s.url}/api/v1/sms/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${other.token}`,
        'content-type': 'application/json',
        'accept-language': 'en',
      },
      body: JSON.stringify({ to: '+5491100006001', text: 'hola' }),
    });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as Refusal).error.message).toMatch(/Enter the SMSAPI token again/);
    // Bitrix24's SMS on a portal whose token was sealed elsewhere: refused in the job, reported failed.
    const foreign = tokenBox(STACK_APP_SECRET, 'smscopy-member').encrypt(s.smsapi.token);
    await s.deps.db
      .updateTable('sms_settings')
      .set({ token_enc: foreign })
      .where('portal_id', '=', portalId)
      .execute();
    const r = await s.portal.sendSms({ code: SMS_CODE, to: '48500100204', text: 'x' });
    const row = await smsReaches(s, r.messageId, 'failed');
    expect(row.error_code).toBe('token_reenter');
    expect((await api<Settings>(s, token, 'GET', '/sms/settings')).body.tokenState).toBe('reenter');
    // Entering it again repairs it.
    await setUpSms(s, token);
    expect((await api<Settings>(s, token, 'GET', '/sms/settings')).body.tokenState).toBe('ok');
    expect(await smsOf(s, r.messageId)).toMatchObject({ status: 'failed' });
  });

  it('the API: count, send (202, masked in the log), over the limit refused with the numbers', async () => {
    const count = await api<{ encoding: string; parts: number }>(s, token, 'POST', '/sms/count', {
      text: 'Zażółć',
      noAccents: true,
    });
    expect(count.body).toMatchObject({ encoding: 'GSM-7', parts: 1 });
    const sent = await api<{ id: number; status: string }>(s, token, 'POST', '/sms/messages', {
      to: '+5491100007001',
      text: 'Hola Ana',
    });
    expect(sent.status).toBe(202);
    expect(sent.body.status).toBe('queued');
    await waitFor(() => s.smsapi.sent({ to: '5491100007001' }).length === 1);
    const log = await api<{ items: Array<{ id: number; to: string }>; total: number }>(
      s,
      token,
      'GET',
      '/sms/messages',
    );
    const item = log.body.items.find((i) => i.id === sent.body.id);
    expect(item?.to).not.toContain('5491100007001');
    const long = await api<Refusal>(s, token, 'POST', '/sms/messages', {
      to: '+5491100007002',
      text: 'ą'.repeat(403),
    });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toMatch(/7/);
  });

  it('a large send checks the balance first: no points, refused before SMSAPI is asked to send', async () => {
    const points = s.smsapi.points();
    s.smsapi.setPoints(0);
    try {
      const big = await api<{ id: number }>(s, token, 'POST', '/sms/messages', {
        to: '+5491100007003',
        text: 'Pedido listo. '.repeat(25), // 350 GSM-7 characters: 3 parts
      });
      expect(big.status).toBe(202);
      const row = await waitFor(async () => {
        const r = await s.deps.db
          .selectFrom('sms_messages')
          .selectAll()
          .where('id', '=', big.body.id)
          .executeTakeFirst();
        return r?.status === 'failed' ? r : undefined;
      });
      expect(row).toMatchObject({ error_code: 'no_points', parts: 3 });
      const log = await api<{
        items: Array<{ id: number; status: string; error: string; errorCode: string }>;
      }>(s, token, 'GET', '/sms/messages');
      expect(log.body.items.find((i) => i.id === big.body.id)).toMatchObject({
        status: 'failed',
        errorCode: 'no_points',
        error: expect.stringMatching(/SMSAPI/) as string,
      });
      expect(s.smsapi.sent({ to: '5491100007003' })).toEqual([]);
    } finally {
      s.smsapi.setPoints(points);
    }
  });
});
