import { Writable } from 'node:stream';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, connectChannel, installAndToken, SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { loggerOptions } from '../../src/shared/logger.js';
import { anotherPortal, useStack } from '../helpers/stack.js';
import { notifyUrl, setUpSms, SMS_CODE, smsReaches } from '../helpers/sms.js';
import { asUser } from '../helpers/templates.js';

/** Every line the app logs, as text. */
function capture(): { lines: string[]; log: pino.Logger } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, log: pino(loggerOptions('debug'), sink) };
}

/**
 * Attacker's side of the SMS provider handler (`POST /b24/sms`) and the SMS API (review of issue
 * 15): calls signed for another portal, another portal's message id, arrays and odd numbers where
 * Bitrix24 sends one decimal, non-admins and other portals on the settings, and the SMSAPI token
 * never in an answer, the trace, a job or the log.
 */
describe('review: the SMS handler and settings under attack', () => {
  const { lines, log } = capture();
  const s = useStack({ portal: SAMPLE_PORTAL, logLevel: 'debug', overrides: { log } });
  let token: string;
  let channelId: string;

  beforeAll(async () => {
    token = await installAndToken(s);
    channelId = (await connectChannel(s, token, 1)).id;
    await waitFor(() => s.portal.smsSenders().length > 0, 20_000, 'messageservice.sender.add');
    await setUpSms(s, token);
  });

  const handler = () => `${s.url}/b24/sms`;
  const count = async () =>
    Number(
      (
        await s.deps.db
          .selectFrom('sms_messages')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** A provider call with this portal's genuine auth, the rest as given (already form-encoded). */
  const genuine = (rest: string) =>
    `auth[member_id]=${s.portal.memberId}&auth[application_token]=${s.portal.applicationToken}&${rest}`;
  const post = (body: string, type = 'application/x-www-form-urlencoded') =>
    fetch(handler(), { method: 'POST', headers: { 'content-type': type }, body });
  const call = (extra: string) =>
    `code=${SMS_CODE}&message_id=m${Math.random().toString(16).slice(2)}&message_to=48500100300&message_body=Hola&${extra}`;

  it('a call signed with another portal’s application token, or for another member id, is refused', async () => {
    const stranger = await anotherPortal(s, 'smsh');
    await s.deps.db
      .updateTable('portals')
      .set({ application_token_mac: s.deps.box.mac('stranger-application-token') })
      .where('id', '=', stranger.portalId)
      .execute();
    const before = await count();
    const mineWithTheirs = await post(
      `auth[member_id]=${s.portal.memberId}&auth[application_token]=stranger-application-token&${call('')}`,
    );
    expect(mineWithTheirs.status).toBe(403);
    const theirsWithMine = await post(
      `auth[member_id]=smsh-member&auth[application_token]=${s.portal.applicationToken}&${call('')}`,
    );
    expect(theirsWithMine.status).toBe(403);
    const twoMembers = await post(
      `auth[member_id]=${s.portal.memberId}&auth[member_id]=smsh-member&auth[application_token]=${s.portal.applicationToken}&${call('')}`,
    );
    expect(twoMembers.status).toBe(401);
    const tokenList = await post(
      `auth[member_id]=${s.portal.memberId}&auth[application_token][]=${s.portal.applicationToken}&${call('')}`,
    );
    expect(tokenList.status).toBe(403);
    expect(await count()).toBe(before);
  });

  it('another portal’s Bitrix24 message id is a new SMS of this portal; theirs is untouched', async () => {
    const stranger = await anotherPortal(s, 'smsm');
    const theirs = await s.deps.db
      .insertInto('sms_messages')
      .values({
        portal_id: stranger.portalId,
        source: 'b24',
        bitrix_message_id: 'shared-message-id-1',
        to_raw: '48500100399',
        content: JSON.stringify({ text: 'theirs' }),
        status: 'failed',
        error_code: 'no_consent',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const r = await s.portal.sendSms({
      code: SMS_CODE,
      to: '48500100301',
      text: 'Nuestro',
      messageId: 'shared-message-id-1',
    });
    expect(r.status).toBe(200);
    const mine = await waitFor(() =>
      s.deps.db
        .selectFrom('sms_messages')
        .select(['id', 'status'])
        .where('bitrix_message_id', '=', 'shared-message-id-1')
        .where('portal_id', '<>', stranger.portalId)
        .where('status', 'in', ['accepted', 'delivered'])
        .executeTakeFirst(),
    );
    expect(mine.id).not.toBe(theirs.id);
    const after = await s.deps.db
      .selectFrom('sms_messages')
      .select(['status', 'error_code', 'content'])
      .where('id', '=', theirs.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ status: 'failed', error_code: 'no_consent', content: { text: 'theirs' } });
  });

  it('arrays, objects and numbers Bitrix24 never sends are a 400 with nothing stored', async () => {
    const before = await count();
    const bad: Array<[string, string]> = [
      [genuine(call('bindings[0][OWNER_TYPE_ID]=3&bindings[0][OWNER_ID][]=5')), 'OWNER_ID list'],
      [genuine(call('bindings[0][OWNER_TYPE_ID]=3&bindings[0][OWNER_ID]=0x10')), 'hex OWNER_ID'],
      [genuine(call('bindings[0][OWNER_TYPE_ID]=3&bindings[0][OWNER_ID]=1e3')), 'exponent OWNER_ID'],
      [genuine(call('bindings[0][OWNER_TYPE_ID]=3&bindings[0][OWNER_ID]=%205')), 'spaced OWNER_ID'],
      [genuine(call('bindings[0][OWNER_TYPE_ID][]=3&bindings[0][OWNER_ID]=5')), 'type list'],
      [genuine(call('bindings[0][OWNER_TYPE_ID]=3&bindings[0][OWNER_ID]=99999999999')), 'huge OWNER_ID'],
      [genuine(call('bindings=5')), 'bindings scalar'],
      [genuine(`code=${SMS_CODE}&message_id=a&message_to[]=48500100302&message_body=x`), 'to list'],
      [genuine(`code=${SMS_CODE}&message_id[x]=a&message_to=48500100302&message_body=x`), 'id object'],
      [genuine(`code[]=${SMS_CODE}&message_id=a&message_to=48500100302&message_body=x`), 'code list'],
      [genuine(`code=${SMS_CODE}&message_id=a&message_to=48500100302&message_body[0]=x`), 'body list'],
      [genuine(`code=other_provider&message_id=a&message_to=48500100302&message_body=x`), 'other code'],
      [
        genuine(`code=${SMS_CODE}&message_id=a&message_to=48500100302&message_body=${'x'.repeat(10_001)}`),
        'body too long',
      ],
      [genuine(`code=${SMS_CODE}&message_id=${'z'.repeat(101)}&message_to=4850&message_body=x`), 'long id'],
    ];
    for (const [body, what] of bad) expect((await post(body)).status, what).toBe(400);
    const json = await post(JSON.stringify({ code: SMS_CODE }), 'application/json');
    expect(json.status).toBe(415);
    const huge = await post(genuine(call(`pad=${'x'.repeat(3_000_000)}`)));
    expect(huge.status).toBe(413);
    expect(await count()).toBe(before);
  });

  it('odd unicode in a genuine call is stored as text, refused by the job with its reason, never a 5xx', async () => {
    const odd = [
      ['48500100303%00', 'NUL in the number'],
      ['%ED%A0%80485001003', 'lone surrogate'],
      ['%EF%BC%94%EF%BC%98%EF%BC%95%EF%BC%90%EF%BC%90', 'full-width digits'],
      ['%E2%80%AE48500100304', 'RTL override'],
    ] as const;
    for (const [to, what] of odd) {
      const id = `odd-${what.replace(/\W/g, '')}`;
      const r = await post(
        genuine(`code=${SMS_CODE}&message_id=${id}&message_to=${to}&message_body=%F0%9F%98%80%00z`),
      );
      expect(r.status, what).toBe(200);
      const row = await smsReaches(s, id, 'failed', 'accepted', 'delivered');
      expect(row.status === 'failed' ? row.error_code : 'sent', what).toMatch(
        /^(phone_invalid|country_not_allowed|sent)$/,
      );
    }
  });

  it('non-admins and other portals: 403 on every SMS route, and another portal sees none of this one', async () => {
    for (const [method, path, body] of [
      ['POST', '/sms/register', undefined],
      ['GET', '/sms/consent-fields', undefined],
      ['POST', '/sms/count', { text: 'x' }],
      ['GET', '/sms/messages', undefined],
      ['PUT', '/sms/settings', { token: s.smsapi.token }],
    ] as const) {
      expect((await asUser(s, 2, method, path, body)).status, `${method} ${path}`).toBe(403);
    }
    const stranger = await anotherPortal(s, 'smso');
    const log = await api<{ items: unknown[]; total: number }>(s, stranger.token, 'GET', '/sms/messages');
    expect(log).toEqual({ status: 200, body: { items: [], total: 0 } });
    const view = await api<{ tokenState: string; senderName: string | null }>(
      s,
      stranger.token,
      'GET',
      '/sms/settings',
    );
    expect(view.body).toMatchObject({ tokenState: 'missing', senderName: null });
    // This portal's channel is not the stranger's to fall back from.
    const foreign = await api(s, stranger.token, 'PUT', '/sms/settings', { fallbackChannelIds: [channelId] });
    expect(foreign.status).toBe(400);
  });

  it('odd JSON on the SMS API is a 400 and changes no setting', async () => {
    const before = await api(s, token, 'GET', '/sms/settings');
    const raw = async (method: string, path: string, body: string) =>
      (
        await fetch(`${s.url}/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        })
      ).status;
    for (const [body, what] of [
      [{ allowedCountries: ['ＡＲ'] }, 'full-width country'],
      [{ senderName: '\u202eWAB24' }, 'RTL sender'],
      [{ senderName: 'WAB24\u0000' }, 'NUL sender'],
      [{ consentField: 'UF_CRM_SMS_CONSENT\u0000' }, 'NUL field'],
      [{ fallbackChannelIds: ['not-a-uuid'] }, 'channel id'],
      [{ maxParts: 1.5 }, 'fraction'],
      [{ timeoutMs: '5000' }, 'string number'],
      [{ token: 'x'.repeat(501) }, 'long token'],
      [{ testMode: 'true' }, 'string boolean'],
      [{ defaultCountry: 'PL', allowedCountries: ['AR'] }, 'default outside allowed'],
      [{ admin: true }, 'unknown key'],
    ] as const) {
      expect((await api(s, token, 'PUT', '/sms/settings', body)).status, what).toBe(400);
    }
    for (const body of ['[]', '"x"', 'null', '{"__proto__":{"admin":true}}', '{"a":', '1e999']) {
      expect(await raw('PUT', '/sms/settings', body), body).toBe(400);
      expect(await raw('POST', '/sms/messages', body), body).toBe(400);
    }
    for (const [body, what] of [
      [{ to: ['+5491100009200'], text: 'x' }, 'to list'],
      [{ to: '+5491100009200', text: '' }, 'empty text'],
      [{ to: '+5491100009200', text: 'x'.repeat(5001) }, 'long text'],
      [{ to: '+1 202 555 0100', text: 'x' }, 'country not allowed'],
      [{ to: '+5491100009200', text: 'x', noAccents: 'yes' }, 'string boolean'],
    ] as const) {
      expect((await api(s, token, 'POST', '/sms/messages', body)).status, what).toBe(400);
    }
    expect(await api(s, token, 'GET', '/sms/settings')).toEqual(before);
  });

  it('the SMSAPI token is in no answer, trace row, job or log line', async () => {
    const secret = s.smsapi.token;
    const answers = [
      await api(s, token, 'GET', '/sms/settings'),
      await api(s, token, 'PUT', '/sms/settings', { token: secret, testMode: false }),
      await api(s, token, 'PUT', '/sms/settings', { token: `${secret}-wrong` }),
      await api(s, token, 'PUT', '/sms/settings', { token: 'short' }),
      await api(s, token, 'PUT', '/sms/settings', { token: secret, senderName: 'NOPE' }),
      await api(s, token, 'POST', '/sms/messages', { to: '+5491100009100', text: 'Pedido listo' }),
      await api(s, token, 'GET', '/sms/messages'),
    ];
    for (const a of answers) expect(JSON.stringify(a.body)).not.toContain(secret.slice(0, 20));
    await waitFor(() => s.smsapi.sent({ to: '5491100009100' }).length > 0);
    await fetch(`${notifyUrl(s)}?MsgId=x&status=404&idx=none`);
    const trace = await s.deps.db.selectFrom('trace').selectAll().execute();
    const jobs = await s.deps.db.selectFrom('jobs').selectAll().execute();
    const sealed = await s.deps.db.selectFrom('sms_settings').select('token_enc').execute();
    for (const where of [
      JSON.stringify(trace),
      JSON.stringify(jobs),
      JSON.stringify(sealed),
      lines.join('\n'),
    ]) {
      expect(where).not.toContain(secret.slice(0, 20));
    }
    // Nor the text or the whole number in the log.
    const logText = lines.join('\n');
    expect(logText).not.toContain('Pedido listo');
    expect(logText).not.toContain('5491100009100');
  });
});
