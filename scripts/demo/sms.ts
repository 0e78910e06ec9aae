/**
 * The demo's SMS scene (issue 15): the admin sets up SMSAPI (the sandbox's token, an approved
 * sender, countries, SMS fallback on the channel); a user sends an SMS from a contact's CRM card
 * through the app's provider, and it is delivered; then a WhatsApp template to a number that is not
 * on WhatsApp (Gupshup 1002) goes out as an SMS instead, and the agent is told in the chat.
 */
import { api, waitFor, type Stack } from '../stack.js';
import { SMS_SENDER_CODE } from '../../src/integrations/bitrix24/messageservice.js';

interface Say {
  say: (s?: string) => void;
  dim: (s: string) => string;
}

const SMS_STATUS = (s: Stack, where: { bitrix?: string; relay?: number }) =>
  s.deps.db
    .selectFrom('sms_messages')
    .select(['id', 'status', 'parts', 'points'])
    .$if(!!where.bitrix, (q) => q.where('bitrix_message_id', '=', where.bitrix ?? ''))
    .$if(!!where.relay, (q) => q.where('relay_message_id', '=', where.relay ?? 0))
    .executeTakeFirst();

/** Runs the scene; true when the CRM card's SMS is delivered and the template went by SMS. */
export async function smsScene(s: Stack, token: string, ch: { id: string }, p: Say): Promise<boolean> {
  p.say();
  const set = await api(s, token, 'PUT', '/sms/settings', {
    token: s.smsapi.token,
    senderName: 'WAB24',
    allowedCountries: ['AR', 'PL'],
    defaultCountry: 'AR',
    fallbackChannelIds: [ch.id],
  });
  if (set.status !== 200) throw new Error(`SMS settings refused: ${JSON.stringify(set.body)}`);
  await waitFor(() => s.portal.smsSenders().length > 0, 20_000, 'the SMS provider');
  p.say(
    `📱 Admin sets up SMSAPI (sender WAB24; SMS fallback on the channel); the app is the portal's SMS provider`,
  );

  const contact = s.portal.addCrmContact({ name: 'Marek Nowak', phone: '+48 500 100 200', assignedById: 1 });
  const card = await s.portal.sendSms({
    code: SMS_SENDER_CODE,
    to: '48500100200',
    text: 'Dzień dobry, zamówienie jest gotowe do odbioru.',
    bindings: [{ ownerTypeId: 3, ownerId: contact }],
  });
  const delivered = await waitFor(
    async () => {
      const r = await SMS_STATUS(s, { bitrix: card.messageId });
      return r?.status === 'delivered' ? r : undefined;
    },
    20_000,
    'the CRM card SMS delivered',
  );
  await waitFor(() => s.portal.smsStatuses(card.messageId).includes('delivered'));
  p.say(
    `📱 CRM card → SMS to +48 500 1… (${delivered.parts} part, ${delivered.points} points) → Bitrix24 status: ${s.portal.smsStatuses(card.messageId).join(' → ')}`,
  );

  const tpl = await s.deps.db
    .selectFrom('templates')
    .select('id')
    .where('element_name', '=', 'pedido_listo')
    .where('status', '=', 'approved')
    .executeTakeFirstOrThrow();
  const phone = '5491155550909';
  s.gupshup.failNextDelivery({ destination: phone, code: 1002, reason: 'Number Does Not Exist On WhatsApp' });
  const sent = await api<{ messageId: number }>(s, token, 'POST', '/messages/template', {
    channelId: ch.id,
    to: phone,
    templateId: tpl.id,
    params: ['Rosa', 'C-33'],
  });
  if (sent.status !== 202) throw new Error(`template refused: ${JSON.stringify(sent.body)}`);
  const fallback = await waitFor(
    async () => {
      const r = await SMS_STATUS(s, { relay: sent.body.messageId });
      return r?.status === 'delivered' ? r : undefined;
    },
    20_000,
    'the fallback SMS delivered',
  );
  p.say(
    `📱 Template «pedido_listo» to +54 9 11 5555-…: WhatsApp says 1002 (not on WhatsApp) → sent as SMS #${fallback.id} → ${fallback.status}`,
  );
  p.say(p.dim(`   SMS are paid in SMSAPI points on the portal's account, not in WhatsApp message units`));
  return true;
}
