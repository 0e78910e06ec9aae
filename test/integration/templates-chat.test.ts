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

const DAY_MS = 24 * 60 * 60 * 1000;

interface Offered {
  chat: { chatId: number; windowOpen: boolean };
  templates: Array<{ id: string; displayName: string; params: Array<{ name: string }> }>;
}
interface Refusal {
  error: { code: string; message: string; issues?: Array<{ field: string; code: string; message: string }> };
}

/**
 * Templates from an open-line chat (issue 11, seed 001) against both sandboxes: the 24-hour window
 * closes, the agents' note offers the line's templates, an agent sends one from the picker's API, it
 * goes as a Gupshup template, shows in the chat as sent by that agent, and the customer's answer
 * opens free text again. Also the API send and its idempotency, and bad input on every route.
 */
describe('templates from a chat', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token: string;
  let ch: DemoChannel;
  let aviso: TestTemplate;
  let otherLine: TestTemplate;
  let image: TestTemplate;

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    // Agents who send templates are the channel's sales representatives (template-access.ts).
    await makeSalesRep(s, ch.id, 2);
    aviso = await addTemplate(s, { channelId: ch.id, name: 'aviso_pedido', displayName: 'Aviso pedido' });
    otherLine = await addTemplate(s, {
      channelId: ch.id,
      name: 'soporte',
      displayName: 'Soporte',
      lines: [2],
    });
    image = await addTemplate(s, {
      channelId: ch.id,
      name: 'promo_foto',
      displayName: 'Promo foto',
      type: 'IMAGE',
      body: 'Oferta para {{1}}',
      params: [{ name: 'nombre', example: 'Ana' }],
    });
  });

  /** The customer wrote `ago` ms ago; the Bitrix24 chat that message opened. */
  const customerWrote = async (phone: string, ago: number, text = 'hola'): Promise<number> => {
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text, timestamp: Date.now() - ago });
    const m = await waitFor(() =>
      s.portal.messages({ author: 'customer' }).find((x) => x.externalChatId === phone && x.text === text),
    );
    // The app knows the chat once the delivery is recorded, and its assignment is over.
    await waitFor(async () => {
      const c = await s.deps.db
        .selectFrom('conversations')
        .select(['bitrix_chat_id', 'assigned_at'])
        .where('customer_phone', '=', phone)
        .executeTakeFirst();
      return c?.bitrix_chat_id === m.chatId && c.assigned_at !== null;
    });
    return m.chatId;
  };
  const sentTo = (phone: string) => s.gupshup.sent({ destination: phone });

  it('registers the chat picker, the CRM tabs and the automation rule after the install', async () => {
    await waitFor(() => s.portal.robots().length > 0);
    const bound = s.portal.placements().map((p) => `${p.placement} ${new URL(p.handler).pathname}`);
    expect(bound).toEqual(
      expect.arrayContaining([
        'IM_TEXTAREA /b24/chat-templates',
        'IM_SIDEBAR /b24/chat-templates',
        'CRM_CONTACT_DETAIL_TAB /b24/crm-templates',
        'CRM_LEAD_DETAIL_TAB /b24/crm-templates',
        'CRM_DEAL_DETAIL_TAB /b24/crm-templates',
      ]),
    );
    const robot = s.portal.robots().find((r) => r.code === 'whatsappb24_send_template');
    expect(robot?.fields).toMatchObject({
      USE_SUBSCRIPTION: 'Y',
      HANDLER: `${s.url}/b24/robot/send-template`,
    });
  });

  it('opens the picker page from a chat and from a CRM card, with its chat or record in the boot data', async () => {
    const phone = '5491100003000';
    const chatId = await customerWrote(phone, 0);
    const chat = await s.portal.openPlacement({
      placement: 'IM_TEXTAREA',
      url: `${s.url}/b24/chat-templates`,
      options: { dialogId: `chat${chatId}` },
      userId: 2,
    });
    expect(chat.status).toBe(200);
    expect(chat.body).toContain(`"picker":{"kind":"chat","chatId":${chatId}}`);
    const card = await s.portal.openPlacement({
      placement: 'CRM_DEAL_DETAIL_TAB',
      url: `${s.url}/b24/crm-templates`,
      options: { ID: '901' },
    });
    expect(card.body).toContain('"picker":{"kind":"crm","entityType":"deal","entityId":901}');
    const bad = await s.portal.openPlacement({
      placement: 'CRM_DEAL_DETAIL_TAB',
      url: `${s.url}/b24/crm-templates`,
      options: {},
    });
    expect(bad.status).toBe(400);
  });

  it('closed window: the note offers the line’s templates; the agent sends one; the answer reopens free text', async () => {
    const phone = '5491100003001';
    const chatId = await customerWrote(phone, DAY_MS + 60_000);
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'Hola, ¿sigue ahí?', userId: 2 });
    const note = await waitFor(() =>
      s.portal.chatLines(chatId).find((l) => l.system && l.text.startsWith('⚠️ WhatsApp:')),
    );
    expect(note.text).toContain('«Aviso pedido»');
    expect(note.text).toContain('Plantillas WhatsApp');
    expect(note.text).not.toContain('Soporte');
    expect(sentTo(phone)).toHaveLength(0);

    const offered = await asUser<Offered>(s, 2, 'GET', `/chats/${chatId}/templates`);
    expect(offered.status).toBe(200);
    expect(offered.body.chat.windowOpen).toBe(false);
    expect(offered.body.templates.map((t) => t.id)).toEqual([aviso.id, image.id]);
    expect(offered.body.templates[0]?.params.map((p) => p.name)).toEqual(['nombre', 'pedido']);

    const sent = await asUser<{ messageId: number }>(s, 2, 'POST', `/chats/${chatId}/templates/send`, {
      templateId: aviso.id,
      params: { nombre: 'Lucía', pedido: 'B-7' },
    });
    expect(sent.status).toBe(202);
    const out = await waitFor(() => sentTo(phone).find((m) => m.message.type === 'template'));
    expect(out.message).toEqual({
      type: 'template',
      template: { id: aviso.gupshupId, params: ['Lucía', 'B-7'] },
    });
    expect(out.rendered?.text).toBe('Hola Lucía, su pedido B-7 está listo.');

    const record = await waitFor(() =>
      s.portal.chatLines(chatId).find((l) => l.text.startsWith('📤 WhatsApp:')),
    );
    expect(record.system).toBe(true);
    expect(record.text).toContain('Bruno Agente');
    expect(record.text).toContain('Hola Lucía, su pedido B-7 está listo.');
    const row = await s.deps.db
      .selectFrom('messages')
      .select(['type', 'template_id', 'sent_by', 'status'])
      .where('id', '=', sent.body.messageId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ type: 'template', template_id: aviso.id, sent_by: 2 });
    await waitFor(async () => {
      const m = await s.deps.db
        .selectFrom('messages')
        .select('status')
        .where('id', '=', sent.body.messageId)
        .executeTakeFirst();
      return m?.status === 'read';
    });

    // The customer answers: the window is open again and free text goes.
    await customerWrote(phone, 0, 'Gracias, lo paso a buscar');
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'Lo esperamos', userId: 2 });
    const text = await waitFor(() => sentTo(phone).find((m) => m.message.type === 'text'));
    expect(text.message.text).toContain('Lo esperamos');
    await s.deps.worker.drain();
    const ackFailed = await s.deps.db
      .selectFrom('trace')
      .select('id')
      .where('step', '=', 'ack_failed')
      .execute();
    expect(ackFailed).toEqual([]);
  });

  it('refuses a template not assigned to the chat’s line, and a role that only reads', async () => {
    const phone = '5491100003002';
    const chatId = await customerWrote(phone, 0);
    const r = await asUser<Refusal>(s, 2, 'POST', `/chats/${chatId}/templates/send`, {
      templateId: otherLine.id,
      params: ['a', 'b'],
    });
    expect(r.status).toBe(400);
    expect(r.body.error.issues?.map((i) => i.code)).toEqual(['template_not_on_line']);

    const portalId = (
      await s.deps.db
        .selectFrom('channels')
        .select('portal_id')
        .where('id', '=', ch.id)
        .executeTakeFirstOrThrow()
    ).portal_id;
    await s.deps.db
      .insertInto('channel_roles')
      .values({ portal_id: portalId, channel_id: ch.id, user_id: 5, quality_control: true })
      .execute();
    const qc = await asUser<Refusal>(s, 5, 'POST', `/chats/${chatId}/templates/send`, {
      templateId: aviso.id,
      params: ['a', 'b'],
    });
    expect(qc.status).toBe(403);
    expect(sentTo(phone)).toHaveLength(0);
  });

  it('records the template as the agent’s own message when the chat is bound to a CRM record', async () => {
    const phone = '5491100003003';
    const chatId = await customerWrote(phone, 0);
    await s.deps.db
      .updateTable('conversations')
      .set({ crm_entity: 'lead', crm_entity_id: 301 })
      .where('customer_phone', '=', phone)
      .execute();
    s.portal.bindChatToCrm({ chatId, entity: 'LEAD', id: 301 });
    const r = await asUser(s, 2, 'POST', `/chats/${chatId}/templates/send`, {
      templateId: aviso.id,
      params: ['Ana', 'C-1'],
    });
    expect(r.status).toBe(202);
    const record = await waitFor(() =>
      s.portal.chatLines(chatId).find((l) => l.text.startsWith('📤 WhatsApp:')),
    );
    expect(record).toMatchObject({ system: false, byUserId: 2, author: 'operator' });
    expect(record.text).toContain('Hola Ana, su pedido C-1 está listo.');
  });

  it('a failed template (paused by WhatsApp, 4005) tells the agents why', async () => {
    const phone = '5491100003004';
    const chatId = await customerWrote(phone, 0);
    s.gupshup.failNextDelivery({ destination: phone, code: 4005, reason: 'Template is paused' });
    const r = await asUser<{ messageId: number }>(s, 2, 'POST', `/chats/${chatId}/templates/send`, {
      templateId: aviso.id,
      params: ['Ana', 'D-1'],
    });
    expect(r.status).toBe(202);
    const note = await waitFor(() =>
      s.portal.chatLines(chatId).find((l) => l.system && l.text.includes('4005')),
    );
    expect(note.text).toContain('pausa');
    const m = await s.deps.db
      .selectFrom('messages')
      .select(['status', 'error_code'])
      .where('id', '=', r.body.messageId)
      .executeTakeFirstOrThrow();
    expect(m).toEqual({ status: 'failed', error_code: '4005' });
  });

  it('API: one send per client key, 409 for the key with other content, Idempotency-Key too', async () => {
    const to = '+54 9 11 0000-3005';
    const body = {
      channelId: ch.id,
      to,
      templateId: aviso.id,
      params: ['Ana', 'E-1'],
      clientKey: 'order-E-1',
    };
    const first = await withToken<{ messageId: number; status: string }>(
      s,
      token,
      'POST',
      '/messages/template',
      body,
    );
    expect(first.status).toBe(202);
    const again = await withToken<{ messageId: number }>(s, token, 'POST', '/messages/template', body);
    expect(again.status).toBe(200);
    expect(again.body.messageId).toBe(first.body.messageId);
    await waitFor(() => sentTo('5491100003005')[0]);
    await withToken(s, token, 'POST', '/messages/template', body);
    await s.deps.worker.drain();
    expect(sentTo('5491100003005')).toHaveLength(1);

    const changed = await withToken<Refusal>(s, token, 'POST', '/messages/template', {
      ...body,
      params: ['Ana', 'E-2'],
    });
    expect(changed.status).toBe(409);

    const { clientKey: _k, ...noKey } = body;
    const byHeader = await withToken<{ messageId: number }>(s, token, 'POST', '/messages/template', noKey, {
      'idempotency-key': 'order-E-3',
    });
    expect(byHeader.status).toBe(202);
    const repeat = await withToken<{ messageId: number }>(s, token, 'POST', '/messages/template', noKey, {
      'idempotency-key': 'order-E-3',
    });
    expect(repeat.body.messageId).toBe(byHeader.body.messageId);
    const both = await withToken<Refusal>(s, token, 'POST', '/messages/template', body, {
      'idempotency-key': 'other',
    });
    expect(both.status).toBe(400);
    expect(both.body.error.issues?.[0]?.code).toBe('key_mismatch');
  });

  it('API: a number that never wrote gets the template (no line needed); its record waits for a chat', async () => {
    const r = await withToken<{ messageId: number }>(s, token, 'POST', '/messages/template', {
      channelId: ch.id,
      to: '5491100003006',
      templateId: otherLine.id,
      params: ['Ana', 'F-1'],
    });
    expect(r.status).toBe(202);
    await waitFor(() => sentTo('5491100003006')[0]);
    const chatId = await customerWrote('5491100003006', 0, 'Hola, recibí el aviso');
    const record = await waitFor(() =>
      s.portal.chatLines(chatId).find((l) => l.text.startsWith('📤 WhatsApp:')),
    );
    expect(record.text).toContain('API');
  });

  it('bad input on every route is a 4xx naming what is wrong', async () => {
    const post = (body: unknown, headers?: Record<string, string>) =>
      withToken<Refusal>(s, token, 'POST', '/messages/template', body, headers);
    const base = { channelId: ch.id, to: '5491100003007', templateId: aviso.id, params: ['a', 'b'] };
    expect((await post({})).status).toBe(400);
    expect((await post({ ...base, channelId: 'x' })).status).toBe(400);
    expect((await post({ ...base, params: 'a' })).status).toBe(400);
    expect((await post({ ...base, clientKey: 'with space' })).status).toBe(400);
    const checks: Array<[Record<string, unknown>, string]> = [
      [{ ...base, to: '12ab' }, 'phone_invalid'],
      [{ ...base, params: ['a'] }, 'param_count'],
      [{ ...base, params: ['a', 'b\nc'] }, 'param_format'],
      [{ ...base, params: { nombre: 'a', pedido: 'b', extra: 'c' } }, 'param_unknown'],
      [{ ...base, templateId: image.id, params: ['a'] }, 'media_required'],
      [{ ...base, templateId: image.id, params: ['a'], mediaUrl: 'ftp://x/y.png' }, 'media_url'],
      [{ ...base, mediaUrl: 'https://example.com/a.png' }, 'media_not_expected'],
    ];
    for (const [body, code] of checks) {
      const r = await post(body);
      expect(r.status, code).toBe(400);
      expect(
        r.body.error.issues?.map((i) => i.code),
        code,
      ).toContain(code);
    }
    expect((await post({ ...base, templateId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    expect((await post({ ...base, channelId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    expect((await asUser(s, 2, 'GET', '/chats/abc/templates')).status).toBe(400);
    expect((await asUser(s, 2, 'GET', '/chats/99999999/templates')).status).toBe(404);
    expect((await asUser(s, 2, 'POST', '/chats/1/templates/send', {})).status).toBe(400);
    expect(
      (await asUser(s, 2, 'POST', '/chats/99999999/templates/send', { templateId: aviso.id })).status,
    ).toBe(404);
    expect((await asUser(s, 2, 'GET', '/crm/company/1/templates')).status).toBe(400);
    expect((await asUser(s, 2, 'GET', '/crm/contact/0/templates')).status).toBe(400);
    expect(
      (await asUser(s, 2, 'POST', '/crm/contact/1/templates/send', { templateId: aviso.id })).status,
    ).toBe(400);
    const anonymous = await fetch(`${s.url}/api/v1/messages/template`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(base),
    });
    expect(anonymous.status).toBe(401);
    expect(sentTo('5491100003007')).toHaveLength(0);
  });
});
