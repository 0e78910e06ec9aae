import { beforeAll, describe, expect, it } from 'vitest';
import { api, installAndToken, SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { setUpSms, SMS_CODE, smsReaches } from '../helpers/sms.js';

/**
 * SMS consent belongs to the number (review of issue 15, "only numbers with SMS consent are sent
 * to"): a CRM card bound to a contact who agreed must not carry an SMS to a number that is not that
 * contact's — someone else's without consent, or nobody's.
 */
describe('review: consent is the number’s, not the card’s', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let agreed: number;

  beforeAll(async () => {
    const token = await installAndToken(s);
    await waitFor(() => s.portal.smsSenders().length > 0, 20_000, 'messageservice.sender.add');
    await setUpSms(s, token, { consentField: 'UF_CRM_SMS_CONSENT' });
    agreed = s.portal.addCrmContact({
      name: 'Acepta',
      phone: '+54 9 11 0000-6001',
      assignedById: 1,
      fields: { UF_CRM_SMS_CONSENT: true },
    });
    s.portal.addCrmContact({
      name: 'No acepta',
      phone: '+54 9 11 0000-6002',
      assignedById: 1,
      fields: { UF_CRM_SMS_CONSENT: false },
    });
  });

  it('bound to a contact who agreed, to another contact’s number without consent: refused', async () => {
    const r = await s.portal.sendSms({
      code: SMS_CODE,
      to: '+5491100006002',
      text: 'Hola',
      bindings: [{ ownerTypeId: 3, ownerId: agreed }],
    });
    const row = await smsReaches(s, r.messageId, 'failed', 'accepted', 'delivered');
    expect(row.error_code).toBe('no_consent');
    expect(s.smsapi.sent({ to: '5491100006002' })).toHaveLength(0);
  });

  it('bound to a contact who agreed, to a number nobody in the CRM has: refused', async () => {
    const r = await s.portal.sendSms({
      code: SMS_CODE,
      to: '+5491100006003',
      text: 'Hola',
      bindings: [{ ownerTypeId: 3, ownerId: agreed }],
    });
    const row = await smsReaches(s, r.messageId, 'failed', 'accepted', 'delivered');
    expect(row.error_code).toBe('no_contact');
    expect(s.smsapi.sent({ to: '5491100006003' })).toHaveLength(0);
  });

  it('bound to a contact who agreed, to that contact’s own number: sent', async () => {
    const r = await s.portal.sendSms({
      code: SMS_CODE,
      to: '+5491100006001',
      text: 'Hola',
      bindings: [
        { ownerTypeId: 2, ownerId: 77 },
        { ownerTypeId: 3, ownerId: agreed },
      ],
    });
    await smsReaches(s, r.messageId, 'accepted', 'delivered');
    expect(s.smsapi.sent({ to: '5491100006001' })).toHaveLength(1);
  });
});

describe('review: the consent field must be one that says yes or no', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token: string;

  beforeAll(async () => {
    token = await installAndToken(s);
    await waitFor(() => s.portal.smsSenders().length > 0, 20_000, 'messageservice.sender.add');
    await setUpSms(s, token);
  });

  it('a text field, or a field the portal does not have, is refused naming the field; nothing saved', async () => {
    const fields = await api<Array<{ code: string }>>(s, token, 'GET', '/sms/consent-fields');
    expect(fields.body.map((f) => f.code)).toContain('UF_CRM_SMS_CONSENT');
    expect(fields.body.map((f) => f.code)).not.toContain('UF_CRM_NOTE'); // "No acepta" would be a yes
    for (const consentField of ['UF_CRM_NOTE', 'UF_CRM_NOBODY']) {
      const r = await api<{ error: { issues?: Array<{ field: string; code: string; message: string }> } }>(
        s,
        token,
        'PUT',
        '/sms/settings',
        { consentField },
      );
      expect(r.status, consentField).toBe(400);
      expect(r.body.error.issues).toEqual([
        expect.objectContaining({ field: 'consentField', code: 'consent_field_unknown' }),
      ]);
    }
    const view = await api<{ consentField: string | null }>(s, token, 'GET', '/sms/settings');
    expect(view.body.consentField).toBeNull();
    const ok = await api(s, token, 'PUT', '/sms/settings', { consentField: 'UF_CRM_SMS_CONSENT' });
    expect(ok.status).toBe(200);
  });
});
