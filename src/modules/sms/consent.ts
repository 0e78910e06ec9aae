import type { SmsMessageRow } from './sms.repository.js';

/** CRM owner type of a contact in a message provider's bindings. */
const CONTACT = 3;

export interface ConsentCrm {
  contactsOf(portalId: number, e164: string): Promise<number[]>;
  fieldOf(portalId: number, contactId: number, field: string): Promise<unknown>;
}

/**
 * SMS consent (C11, the seed's "a number without consent is not proposed"): when the admin chose a
 * contact field, an SMS goes only to a number whose contact has it set. Consent is the number's: the
 * contacts that have it (crm.duplicate.findbycomm), narrowed to the ones the CRM card bound the SMS
 * to when some of them have it. A bound contact who agreed says nothing about another number (a
 * company's, a colleague's, one typed in), so that one is judged by its own contacts, or refused
 * with `no_contact` when nobody in the CRM has it.
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
    const bound = new Set(
      ((sms.origin as { bindings?: Array<{ ownerTypeId: number; ownerId: number }> }).bindings ?? [])
        .filter((b) => b.ownerTypeId === CONTACT)
        .map((b) => b.ownerId),
    );
    const owners = await this.crm.contactsOf(sms.portal_id, e164);
    if (owners.length === 0) return 'no_contact';
    const boundOwners = owners.filter((id) => bound.has(id));
    const contacts = boundOwners.length ? boundOwners : owners;
    for (const id of contacts.slice(0, 10)) {
      if (this.isConsent(await this.crm.fieldOf(sms.portal_id, id, field))) return 'ok';
    }
    return 'no_consent';
  }
}
