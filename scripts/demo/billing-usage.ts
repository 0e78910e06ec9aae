/**
 * The demo's billing scene (issue 12): billing is on for the demo's app (BILLING_ENFORCED), the
 * portal's billing admin gets a pack of message units, and every WhatsApp message the conversation
 * sends is charged one unit: reserved before Gupshup's send, settled on Gupshup's billing event,
 * given back when the message fails. `start` credits the pack and shows the balance; `report` shows
 * it again once every unit is settled and checks it went down by the messages that went out.
 */
import { waitFor, type Stack } from '../stack.js';

/** The environment the demo's app runs with: charging on. */
export const BILLING_DEMO_ENV = { BILLING_ENFORCED: 'true' };

const PACK = 100;

interface Say {
  say: (s?: string) => void;
  dim: (s: string) => string;
}

export async function billingUsage(s: Stack, p: Say): Promise<{ report(): Promise<boolean> }> {
  const { id: portalId } = await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow();
  // The packs bought in the payments scene pay for the conversation; without them, an operator credit.
  if ((await s.deps.ledger.balance(portalId)).available === 0) {
    await s.deps.ledger.credit({
      portalId,
      units: PACK,
      validityDays: 90,
      provider: 'operator',
      eventId: 'demo-pack',
    });
    p.say(`💳 Billing admin: a pack of ${PACK} WhatsApp messages is credited`);
  }
  const before = (await s.deps.ledger.balance(portalId)).available;
  p.say(`💳 Balance before the conversation: ${before} units; each WhatsApp message sent takes one`);
  p.say();
  return {
    async report() {
      // Every unit settled (billing event) or given back (failure) before the balance is read.
      const b = await waitFor(
        async () => {
          const x = await s.deps.ledger.balance(portalId);
          return x.reserved === 0 ? x : undefined;
        },
        20_000,
        'every unit settled',
      ).catch(() => s.deps.ledger.balance(portalId));
      const out = await s.deps.db
        .selectFrom('messages')
        .select(['status'])
        .where('portal_id', '=', portalId)
        .where('direction', '=', 'out')
        .where('gupshup_message_id', 'is not', null)
        .execute();
      const wentOut = out.filter((m) => m.status !== 'failed' && m.status !== 'dead').length;
      const gaveBack = out.length - wentOut;
      const spent = before - b.available;
      const ok = spent === wentOut && b.reserved === 0;
      p.say(
        `  Billing: balance ${before} → ${b.available} units: ${wentOut} WhatsApp messages sent, each charged once` +
          p.dim(
            ` (${gaveBack} that failed after Gupshup took it given back; ${b.reserved} units still reserved)`,
          ),
      );
      return ok;
    },
  };
}
