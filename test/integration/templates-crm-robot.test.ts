import { stringify } from 'qs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  waitFor,
  type DemoChannel,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { addTemplate, asUser, makeSalesRep, withToken, type TestTemplate } from '../helpers/templates.js';

interface CardOptions {
  phones: Array<{ phone: string; display: string; owner: { type: string; id: number; name: string } }>;
  channels: Array<{ id: string; templates: Array<{ id: string }> }>;
}

const ROBOT = 'whatsappb24_send_template';

/**
 * Templates from a CRM card and from the automation rule (issue 11), and a customer's quick-reply tap
 * coming back, against both sandboxes.
 */
describe('templates from a CRM card, a robot, and quick replies', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token: string;
  let ch: DemoChannel;
  let aviso: TestTemplate;

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    // The automation rule is registered by the install's follow-up job.
    await waitFor(() => s.portal.robots().length > 0);
    // Agents who send templates are the channel's sales representatives (template-access.ts).
    await makeSalesRep(s, ch.id, 2);
    aviso = await addTemplate(s, {
      channelId: ch.id,
      name: 'aviso_pedido',
      displayName: 'Aviso pedido',
      body: 'Hola {{1}}, su pedido {{2}} está listo. ¿Lo confirma?',
    });
  });

  const sentTo = (phone: string) => s.gupshup.sent({ destination: phone });
  const messageRow = (id: number) =>
    s.deps.db
      .selectFrom('messages')
      .select(['status', 'error_code'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  it('CRM card: the tab lists the card’s phones and the line’s templates; the send checks the number first', async () => {
    const contact = s.portal.addCrmContact({
      name: 'Marta Díaz',
      phone: '+54 9 11 0000-4001',
      assignedById: 2,
    });
    const card = await asUser<CardOptions>(s, 2, 'GET', `/crm/contact/${contact}/templates`);
    expect(card.status).toBe(200);
    expect(card.body.phones).toEqual([
      expect.objectContaining({
        phone: '5491100004001',
        owner: { type: 'contact', id: contact, name: 'Marta Díaz' },
      }),
    ]);
    expect(card.body.channels.find((c) => c.id === ch.id)?.templates.map((t) => t.id)).toEqual([aviso.id]);

    const ok = await asUser<{ messageId: number }>(s, 2, 'POST', `/crm/contact/${contact}/templates/send`, {
      channelId: ch.id,
      phone: card.body.phones[0]?.phone,
      templateId: aviso.id,
      params: { nombre: 'Marta', pedido: 'G-1' },
    });
    expect(ok.status).toBe(202);
    const out = await waitFor(() => sentTo('5491100004001')[0]);
    expect(out.message).toMatchObject({ type: 'template', template: { params: ['Marta', 'G-1'] } });
    const checked = await s.deps.db
      .selectFrom('trace')
      .select('step')
      .where('message_id', '=', ok.body.messageId)
      .where('step', '=', 'crm_phone_checked')
      .execute();
    expect(checked).toHaveLength(1);

    const wrong = await asUser<{ messageId: number }>(
      s,
      2,
      'POST',
      `/crm/contact/${contact}/templates/send`,
      {
        channelId: ch.id,
        phone: '5491100004999',
        templateId: aviso.id,
        params: ['Marta', 'G-2'],
      },
    );
    expect(wrong.status).toBe(202);
    await waitFor(async () => (await messageRow(wrong.body.messageId)).status === 'failed');
    expect(await messageRow(wrong.body.messageId)).toEqual({
      status: 'failed',
      error_code: 'phone_not_on_card',
    });
    expect(sentTo('5491100004999')).toHaveLength(0);
  });

  it('CRM card: a deal offers its contacts’ phones; a record that cannot be read is a 404', async () => {
    const contact = s.portal.addCrmContact({ name: 'Pablo Ruiz', phone: '+5491100004002', assignedById: 1 });
    const deal = s.portal.addCrmDeal({ title: 'Pedido grande', contactIds: [contact] });
    const card = await asUser<CardOptions>(s, 3, 'GET', `/crm/deal/${deal}/templates`);
    expect(card.status).toBe(200);
    expect(card.body.phones.map((p) => p.phone)).toEqual(['5491100004002']);
    expect((await asUser(s, 3, 'GET', '/crm/lead/99999/templates')).status).toBe(404);
  });

  it('robot: sends the template and answers the workflow once, however often the call comes', async () => {
    const call = await s.portal.invokeRobot({
      code: ROBOT,
      properties: {
        channel: ch.sourceNumber,
        template: 'aviso_pedido',
        phone: 'WORK: +54 9 11 0000-5001',
        params: ['Ana', 'R-1'],
      },
      document: ['crm', 'CCrmDocumentDeal', 'DEAL_901'],
    });
    expect(call.status).toBe(200);
    const out = await waitFor(() => sentTo('5491100005001')[0]);
    expect(out.message).toMatchObject({
      type: 'template',
      template: { id: aviso.gupshupId, params: ['Ana', 'R-1'] },
    });
    const answer = await waitFor(
      () => s.portal.robotAnswers().find((a) => a.eventToken === call.eventToken),
      90_000,
    );
    expect(answer.returnValues).toMatchObject({ sent: 'Y', error: '' });

    const replay = await s.portal.invokeRobot({
      code: ROBOT,
      eventToken: call.eventToken,
      properties: {
        channel: ch.sourceNumber,
        template: 'aviso_pedido',
        phone: '+5491100005001',
        params: ['Ana', 'R-1'],
      },
    });
    expect(replay.status).toBe(200);
    await s.deps.worker.drain();
    expect(sentTo('5491100005001')).toHaveLength(1);
    expect(s.portal.robotAnswers().filter((a) => a.eventToken === call.eventToken)).toHaveLength(1);
  });

  it('robot: values it cannot use get the workflow a “not sent” with the reason, and nothing is sent', async () => {
    const call = await s.portal.invokeRobot({
      code: ROBOT,
      properties: {
        channel: ch.sourceNumber,
        template: 'no_such_template',
        phone: '+5491100005002',
        params: 'x',
      },
    });
    expect(call.status).toBe(200);
    const answer = await waitFor(() => s.portal.robotAnswers().find((a) => a.eventToken === call.eventToken));
    expect(answer.returnValues).toMatchObject({ sent: 'N' });
    expect(String(answer.returnValues['error'])).toContain('plantilla');
    const params = await s.portal.invokeRobot({
      code: ROBOT,
      properties: {
        channel: ch.sourceNumber,
        template: 'aviso_pedido',
        phone: '+5491100005003',
        params: 'Ana|R-3',
      },
    });
    expect(params.status).toBe(200);
    const out = await waitFor(() => sentTo('5491100005003')[0]);
    expect(out.message).toMatchObject({ template: { params: ['Ana', 'R-3'] } });
    expect(sentTo('5491100005002')).toHaveLength(0);
  });

  it('robot handler: forged token 403, unknown portal 401, malformed call 400, not a form 415', async () => {
    const props = {
      channel: ch.sourceNumber,
      template: 'aviso_pedido',
      phone: '+5491100005004',
      params: ['a', 'b'],
    };
    const forged = await s.portal.invokeRobot({
      code: ROBOT,
      properties: props,
      auth: { application_token: 'forged' },
    });
    expect(forged.status).toBe(403);
    const unknown = await s.portal.invokeRobot({
      code: ROBOT,
      properties: props,
      auth: { member_id: 'nobody' },
    });
    expect(unknown.status).toBe(401);
    const post = (body: string, type = 'application/x-www-form-urlencoded') =>
      fetch(`${s.url}/b24/robot/send-template`, { method: 'POST', headers: { 'content-type': type }, body });
    const auth = { member_id: s.portal.memberId, application_token: s.portal.applicationToken };
    expect((await post(stringify({ code: ROBOT, properties: props, auth }))).status).toBe(400);
    expect(
      (await post(stringify({ event_token: 't1', code: 'other_robot', properties: props, auth }))).status,
    ).toBe(400);
    expect((await post(stringify({ event_token: 't2', code: ROBOT, properties: props }))).status).toBe(401);
    expect((await post(JSON.stringify({ event_token: 't3', auth }), 'application/json')).status).toBe(415);
    await s.deps.worker.drain();
    expect(sentTo('5491100005004')).toHaveLength(0);
  });

  it('quick-reply taps (both shapes) reach the line; one opens a new chat for a number sent a template', async () => {
    const phone = '5491100006001';
    const sent = await withToken<{ messageId: number }>(s, token, 'POST', '/messages/template', {
      channelId: ch.id,
      to: phone,
      templateId: aviso.id,
      params: ['Ana', 'Q-1'],
    });
    expect(sent.status).toBe(202);
    await waitFor(() => sentTo(phone)[0]);
    expect(s.portal.messages().filter((m) => m.externalChatId === phone)).toHaveLength(0);

    await s.gupshup.customerSends({
      appName: ch.appName,
      from: phone,
      type: 'quick_reply',
      text: 'Sí, confirmo',
    });
    const tap = await waitFor(() =>
      s.portal.messages({ author: 'customer' }).find((m) => m.externalChatId === phone),
    );
    expect(tap.text).toBe('Sí, confirmo');
    const record = await waitFor(() =>
      s.portal.chatLines(tap.chatId).find((l) => l.text.startsWith('📤 WhatsApp:')),
    );
    expect(record.text).toContain('Q-1');

    await s.gupshup.customerSends({
      appName: ch.appName,
      from: phone,
      type: 'text',
      text: 'No, gracias',
      payload: { type: 'button' },
    });
    const second = await waitFor(() =>
      s.portal
        .messages({ author: 'customer' })
        .find((m) => m.externalChatId === phone && m.text === 'No, gracias'),
    );
    expect(second.chatId).toBe(tap.chatId);
  });
});
