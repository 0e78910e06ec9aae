import { NotFoundError } from '../../shared/errors.js';
import type { PackInput, PackPatch, SubscriptionPricesInput } from './billing.schemas.js';
import type { OfferRepository, PackValues } from './offer.repository.js';

type PackRow = NonNullable<Awaited<ReturnType<OfferRepository['pack']>>>;

/**
 * The vendor's offer: message packs and the per-channel subscription prices. The operator API
 * changes it (OPERATOR_TOKEN); billing admins read the active part of it.
 */
export class OfferService {
  constructor(private readonly repo: OfferRepository) {}

  /** Every pack, inactive ones included (operator). */
  async allPacks() {
    return (await this.repo.packs(false)).map(pack);
  }

  async createPack(i: PackInput) {
    return pack(await this.repo.createPack(packValues(i) as PackValues));
  }

  async updatePack(id: number, p: PackPatch) {
    const row = await this.repo.updatePack(id, packValues(p));
    if (!row) throw new NotFoundError('Pack not found');
    return pack(row);
  }

  async subscriptionPrices() {
    return (await this.repo.subscriptionPrices()).map((r) => ({
      currency: r.currency,
      months: r.months,
      priceMinor: r.price_minor,
      updatedAt: r.updated_at,
    }));
  }

  async replaceSubscriptionPrices(i: SubscriptionPricesInput) {
    await this.repo.replaceSubscriptionPrices(
      i.prices.map((p) => ({ currency: p.currency, months: p.months, price_minor: p.priceMinor })),
    );
    return { items: await this.subscriptionPrices() };
  }

  /**
   * GET /api/v1/billing/offer: the active packs, and per currency what a channel's subscription
   * costs for each period, with the price per month and the saving against paying monthly.
   */
  async offer() {
    const [packs, prices] = await Promise.all([this.repo.packs(true), this.repo.subscriptionPrices()]);
    const byCurrency = new Map<string, typeof prices>();
    for (const p of prices) byCurrency.set(p.currency, [...(byCurrency.get(p.currency) ?? []), p]);
    return {
      packs: packs.map((p) => {
        const { active: _active, createdAt: _c, updatedAt: _u, ...rest } = pack(p);
        return rest;
      }),
      subscription: [...byCurrency].map(([currency, rows]) => {
        const monthly = rows.find((r) => r.months === 1)?.price_minor ?? 0;
        return {
          currency,
          periods: rows.map((r) => ({
            months: r.months,
            priceMinor: r.price_minor,
            perMonthMinor: Math.round(r.price_minor / r.months),
            savingPercent: monthly ? Math.round((1 - r.price_minor / (monthly * r.months)) * 100) : 0,
          })),
        };
      }),
    };
  }
}

function pack(p: PackRow) {
  return {
    id: p.id,
    name: p.name,
    messages: p.messages,
    priceMinor: p.price_minor,
    currency: p.currency,
    validityDays: p.validity_days,
    active: p.active,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}

type Loose<T> = { [K in keyof T]?: T[K] | undefined };

/** The columns a pack input sets (only those given, for a change). */
function packValues(i: Loose<PackInput>): Partial<PackValues> {
  const v: Partial<PackValues> = {};
  if (i.name !== undefined) v.name = i.name;
  if (i.messages !== undefined) v.messages = i.messages;
  if (i.priceMinor !== undefined) v.price_minor = i.priceMinor;
  if (i.currency !== undefined) v.currency = i.currency;
  if (i.validityDays !== undefined) v.validity_days = i.validityDays;
  if (i.active !== undefined) v.active = i.active;
  return v;
}
