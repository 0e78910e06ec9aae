import { z } from 'zod';
import { ProviderError } from '../../shared/errors.js';
import { INT_MAX } from '../../shared/validate.js';
import type { Bitrix24Method } from '../catalog.js';
import type { Bitrix24Client } from './bitrix24.client.js';

/**
 * The phone numbers of a CRM card (contact, lead or deal), for sending a template from it: a
 * contact's and a lead's own `PHONE` multifield (crm.contact.get / crm.lead.get), a deal's from its
 * contacts (crm.deal.contact.items.get, then crm.contact.get of each, primary first; b24restdocs
 * crm/deals/contacts/crm-deal-contact-items-get.md). Read with the viewer's own token when a page
 * asks (Bitrix24 then applies that user's CRM permissions), with the stored one in background work.
 */

export type CardType = 'contact' | 'lead' | 'deal';

export interface CardPhone {
  /** As the CRM holds it, e.g. "+54 9 11 5555-0001". */
  value: string;
  /** WORK, MOBILE, HOME, … */
  valueType: string;
  owner: { type: 'contact' | 'lead'; id: number; name: string };
}

const id = z.coerce.number().int().positive().max(INT_MAX);
const record = z
  .object({
    ID: id,
    NAME: z.string().nullish(),
    LAST_NAME: z.string().nullish(),
    TITLE: z.string().nullish(),
    PHONE: z
      .array(z.object({ VALUE: z.coerce.string(), VALUE_TYPE: z.coerce.string().optional() }).loose())
      .optional(),
  })
  .loose();
const dealContacts = z.array(
  z.object({ CONTACT_ID: id, IS_PRIMARY: z.string().optional(), SORT: z.coerce.number().optional() }).loose(),
);

/** At most this many contacts of a deal are read (one call each). */
const DEAL_CONTACTS_MAX = 5;

type Call = <T>(method: Bitrix24Method, params: Record<string, unknown>) => Promise<T>;

export class Bitrix24CrmCards {
  constructor(private readonly client: Pick<Bitrix24Client, 'call' | 'callWithToken' | 'access'>) {}

  /** The card's phones; `viewerToken`: the page's own token (the viewer's CRM rights apply). */
  async phones(portalId: number, type: CardType, cardId: number, viewerToken?: string): Promise<CardPhone[]> {
    const call = await this.#caller(portalId, viewerToken);
    if (type !== 'deal') return phonesOf(type, read(record, await call(`crm.${type}.get`, { id: cardId })));
    const links = read(dealContacts, await call('crm.deal.contact.items.get', { id: cardId }));
    links.sort(
      (a, b) => Number(b.IS_PRIMARY === 'Y') - Number(a.IS_PRIMARY === 'Y') || (a.SORT ?? 0) - (b.SORT ?? 0),
    );
    const out: CardPhone[] = [];
    for (const link of links.slice(0, DEAL_CONTACTS_MAX)) {
      out.push(...phonesOf('contact', read(record, await call('crm.contact.get', { id: link.CONTACT_ID }))));
    }
    return out;
  }

  async #caller(portalId: number, viewerToken: string | undefined): Promise<Call> {
    if (!viewerToken) {
      return (method, params) => this.client.call(portalId, method, params, { background: true });
    }
    const { clientEndpoint } = await this.client.access(portalId);
    return (method, params) => this.client.callWithToken(clientEndpoint, viewerToken, method, params);
  }
}

function phonesOf(type: 'contact' | 'lead', r: z.output<typeof record>): CardPhone[] {
  const name = [r.NAME, r.LAST_NAME].filter(Boolean).join(' ') || r.TITLE || `#${r.ID}`;
  return (r.PHONE ?? [])
    .filter((p) => p.VALUE.trim())
    .map((p) => ({ value: p.VALUE, valueType: p.VALUE_TYPE ?? 'OTHER', owner: { type, id: r.ID, name } }));
}

/** An answer we cannot read is Bitrix24's fault, not ours: refused for good, never a crash. */
function read<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ProviderError('bitrix24', 'crm card', 'Bitrix24 answered a CRM read in an unexpected shape', {
    providerCode: 'UNEXPECTED_ANSWER',
    retryable: false,
  });
}
