import type { SmsMessageRow } from './sms.repository.js';

/** CRM owner type of a contact in a message provider's bindings. */
const CONTACT = 3;

export interface ConsentCrm {
  contactsOf(portalId: number, e164: string): Promise<number[]>;
  fieldOf(portalId: number, contactId: number, field: string): Promise<unknown>;
}

/**
 * SMS consent (C11, the seed's "a number without consent is not proposed"): when the admin chose a
 * contact field, an SMS goes only to a number whose contact has it set. The contact is the one the
 * CRM card bound the SMS to, else the contacts that have the number (crm.duplicate.findbycomm).
 */
export class SmsConsentCheck {
  constructor(
    private readonly crm: ConsentCrm,
    private readonly isConsent: (value: unknown) => boolean,
  ) {}

  async check(
    sms: SmsMessageRow,
    e164: string,
    field: string | null,
  ): Promise<'ok' | 'no_consent' | 'no_contact'> {
    if (!field) return 'ok';
    const bindings = (
      (sms.origin as { bindings?: Array<{ ownerTypeId: number; ownerId: number }> }).bindings ?? []
    )
      .filter((b) => b.ownerTypeId === CONTACT)
      .map((b) => b.ownerId);
    const contacts = bindings.length ? bindings : await this.crm.contactsOf(sms.portal_id, e164);
    if (contacts.length === 0) return 'no_contact';
    for (const id of contacts.slice(0, 10)) {
      if (this.isConsent(await this.crm.fieldOf(sms.portal_id, id, field))) return 'ok';
    }
    return 'no_consent';
  }
}
