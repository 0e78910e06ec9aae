import { z } from 'zod';
import { describeIssues, ValidationError } from '../../shared/errors.js';

/**
 * Gupshup's `billing-event` (reference/gupshup.md §3.6): Gupshup billed (or did not bill) one of our
 * messages. It carries no amount. Both documented shapes are read: per-message pricing (`model: PMP`,
 * `category`, `type: regular`) and the legacy conversation-based one (`model: CBP|NBP`, `type` the
 * category, a `conversationId`). `references.gsId` is Gupshup's id for our message (the one the send
 * answered), `references.id` the WhatsApp id.
 */
export interface BillingEvent {
  kind: 'billing';
  app: string | undefined;
  /** Gupshup's message id (what the send answered), when the event names it. */
  gupshupId: string | undefined;
  /** The WhatsApp message id. */
  whatsappId: string | undefined;
  /** Whether Gupshup bills this message (`deductions.billable`; absent → billed). */
  billable: boolean;
  model: string | undefined;
  category: string | undefined;
}

const id = z.string().min(1).max(256).optional();
const short = z.string().max(64).optional().catch(undefined);

const billingPayload = z
  .object({
    deductions: z
      .object({
        type: short,
        model: short,
        source: short,
        category: short,
        billable: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
      })
      .loose(),
    references: z
      .object({ id, gsId: id, gs_id: id, conversationId: short, destination: z.string().max(32).optional() })
      .loose(),
  })
  .loose()
  .refine((p) => p.references.gsId ?? p.references.gs_id ?? p.references.id, {
    path: ['references'],
    message: 'a billing event names its message (gsId or id)',
  });

export function parseBillingEvent(app: string | undefined, payload: unknown): BillingEvent {
  const p = billingPayload.safeParse(payload);
  if (!p.success) {
    throw new ValidationError(`Invalid billing-event payload: ${describeIssues(p.error.issues)}`);
  }
  const { deductions: d, references: r } = p.data;
  const model = d.model;
  return {
    kind: 'billing',
    app,
    gupshupId: r.gsId ?? r.gs_id,
    whatsappId: r.id,
    billable: d.billable === undefined ? true : d.billable === true || d.billable === 'true',
    model,
    // PMP names the category in `category`; the legacy models in `type`.
    category: d.category ?? (model === 'PMP' ? undefined : d.type),
  };
}
