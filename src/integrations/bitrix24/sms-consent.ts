import { z } from 'zod';
import { INT_MAX } from '../../shared/validate.js';
import type { Bitrix24Client } from './bitrix24.client.js';

/**
 * The CRM reads behind SMS consent (issue 15): the contact fields an admin may pick as "agreed to SMS"
 * (crm.contact.fields: custom `UF_CRM_…` fields and the built-in ones, with their labels), the contacts
 * of a number (crm.duplicate.findbycomm, b24restdocs crm/duplicates/crm-duplicate-find-by-comm.md) and
 * one contact's value of the chosen field (crm.contact.get). The consent calls are background work.
 */

const BACKGROUND = { background: true } as const;
const id = z.coerce.number().int().positive().max(INT_MAX);
const duplicates = z.union([
  z.array(z.unknown()).transform(() => ({ CONTACT: [] as number[] })),
  z.object({ CONTACT: z.array(id).optional() }).loose(),
]);
const fieldInfo = z
  .object({
    type: z.string().max(64).optional(),
    isReadOnly: z.boolean().optional(),
    isMultiple: z.boolean().optional(),
    title: z.string().max(500).optional(),
    formLabel: z.string().max(500).optional(),
    listLabel: z.string().max(500).optional(),
  })
  .loose();
const fields = z.record(z.string().max(100), fieldInfo);

/**
 * Field types that say yes or no: a checkbox, a Y/N flag. Not a list (its value is the chosen item's
 * id, and the item may well be "No") nor a text ("No acepta" is not empty): consent is said, never
 * guessed.
 */
const CONSENT_TYPES = new Set(['boolean', 'char']);

export class Bitrix24SmsConsent {
  constructor(private readonly client: Bitrix24Client) {}

  /** Contact fields usable as consent: custom fields first, then built-in Y/N flags. */
  async candidateFields(portalId: number): Promise<Array<{ code: string; label: string; type: string }>> {
    const all = fields.parse(await this.client.call(portalId, 'crm.contact.fields', {}));
    const out = Object.entries(all)
      .filter(
        ([code, f]) => CONSENT_TYPES.has(f.type ?? '') && !f.isReadOnly && /^[A-Za-z0-9_]{1,100}$/.test(code),
      )
      .map(([code, f]) => ({
        code,
        label: f.formLabel || f.listLabel || f.title || code,
        type: f.type ?? '',
      }));
    return out.sort((a, b) => Number(!a.code.startsWith('UF_')) - Number(!b.code.startsWith('UF_')));
  }

  /** The contacts that have this number (E.164). */
  async contactsOf(portalId: number, e164: string): Promise<number[]> {
    const r = duplicates.parse(
      await this.client.call(
        portalId,
        'crm.duplicate.findbycomm',
        { type: 'PHONE', values: [e164, e164.slice(1)], entity_type: 'CONTACT' },
        BACKGROUND,
      ),
    );
    return r.CONTACT ?? [];
  }

  /** The contact's value of `field`, as Bitrix24 gives it (a string, number, boolean or list). */
  async fieldOf(portalId: number, contactId: number, field: string): Promise<unknown> {
    const r = z
      .record(z.string(), z.unknown())
      .parse(await this.client.call(portalId, 'crm.contact.get', { id: contactId }, BACKGROUND));
    return r[field];
  }
}

const YES = new Set(['y', '1', 'true', 'yes']);

/**
 * Whether a CRM value says "yes" as a checkbox or a Y/N flag writes it (`Y`, `1`, true; a multiple
 * field with one). Anything else — `N`, `0`, empty, words such as "No acepta", a list item's id — is
 * "no": an SMS without consent is refused, never sent on a guess.
 */
export function isConsent(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  if (typeof value === 'string') return YES.has(value.trim().toLowerCase());
  if (Array.isArray(value)) return value.some(isConsent);
  return false;
}
