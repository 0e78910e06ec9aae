import { api, waitFor, type Stack } from '../../scripts/stack.js';
import { SMS_SENDER_CODE } from '../../src/integrations/bitrix24/messageservice.js';

/** The app's SMS provider code in the sandbox portal. */
export const SMS_CODE = SMS_SENDER_CODE;

/** Sets SMS up for the installed portal: the sandbox SMSAPI's token, an approved sender, countries. */
export async function setUpSms(s: Stack, token: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await api(s, token, 'PUT', '/sms/settings', {
    token: s.smsapi.token,
    senderName: 'WAB24',
    allowedCountries: ['AR', 'PL'],
    defaultCountry: 'AR',
    ...extra,
  });
  if (r.status !== 200) throw new Error(`SMS settings answered ${r.status}: ${JSON.stringify(r.body)}`);
}

/** The SMS row of a Bitrix24 message id. */
export function smsOf(s: Stack, bitrixMessageId: string) {
  return s.deps.db
    .selectFrom('sms_messages')
    .selectAll()
    .where('bitrix_message_id', '=', bitrixMessageId)
    .executeTakeFirst();
}

/** Waits until the SMS of a Bitrix24 message id has one of `statuses`, and returns it. */
export function smsReaches(s: Stack, bitrixMessageId: string, ...statuses: string[]) {
  return waitFor(
    async () => {
      const r = await smsOf(s, bitrixMessageId);
      return r && statuses.includes(r.status) ? r : undefined;
    },
    20_000,
    `SMS ${statuses.join('/')}`,
  );
}

/** The delivery-report URL SMSAPI was given with the last SMS it accepted (the portal's callback). */
export function notifyUrl(s: Stack): string {
  const url = s.smsapi
    .sent()
    .map((m) => m.notifyUrl)
    .filter((u): u is string => !!u)
    .at(-1);
  if (!url) throw new Error('no SMS with a notify_url was sent yet');
  return url;
}
