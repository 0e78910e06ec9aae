import { beforeAll, describe, expect, it } from 'vitest';
import { installAndToken, SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { setUpSms, SMS_CODE, smsReaches } from '../helpers/sms.js';

/**
 * An SMS whose send job gives up (SMSAPI down for every attempt) must not stay "queued" forever,
 * here and in Bitrix24 (review of issue 15): it fails with its reason and Bitrix24 hears `failed`.
 */
describe('review: an SMS whose send job gives up', () => {
  const s = useStack({
    portal: SAMPLE_PORTAL,
    workerConfig: { maxAttempts: 2, backoffBaseMs: 20, backoffMaxMs: 50 },
  });

  beforeAll(async () => {
    const token = await installAndToken(s);
    await waitFor(() => s.portal.smsSenders().length > 0, 20_000, 'messageservice.sender.add');
    await setUpSms(s, token);
  });

  it('is failed with its reason, and Bitrix24 is told', async () => {
    s.smsapi.failNext({ status: 503 }, { status: 503 }, { status: 503 });
    const r = await s.portal.sendSms({ code: SMS_CODE, to: '+5491100009300', text: 'Hola' });
    expect(r.status).toBe(200);
    const row = await smsReaches(s, r.messageId, 'failed', 'accepted', 'delivered');
    expect(row).toMatchObject({ status: 'failed', error_code: 'send_failed' });
    expect(row.error_detail).toBeTruthy();
    await waitFor(() => s.portal.smsStatuses(r.messageId).includes('failed'));
    expect(s.smsapi.sent({ to: '5491100009300' })).toHaveLength(0);
  });
});
