import { describe, expect, it } from 'vitest';
import type { BillingRepository } from '../../src/modules/billing/billing.repository.js';
import { packInput, packPatch, subscriptionPricesInput } from '../../src/modules/billing/billing.schemas.js';
import { LedgerService } from '../../src/modules/billing/ledger.service.js';
import type { OfferRepository } from '../../src/modules/billing/offer.repository.js';
import { OfferService } from '../../src/modules/billing/offer.service.js';

/** The offer's rules and the shapes billing admins read, against fake repositories (no database). */
describe('billing offer input', () => {
  const pack = { name: 'Pack 1000', messages: 1000, priceMinor: 1500, currency: 'usd', validityDays: 90 };

  it('takes a pack with the currency upper-cased, active unless said otherwise', () => {
    expect(packInput.parse(pack)).toEqual({ ...pack, currency: 'USD', active: true });
  });

  it('refuses fractions of a cent, unknown fields and an empty change', () => {
    expect(packInput.safeParse({ ...pack, priceMinor: 9.99 }).success).toBe(false);
    expect(packInput.safeParse({ ...pack, bonus: 5 }).success).toBe(false);
    expect(packPatch.safeParse({}).success).toBe(false);
    expect(packPatch.parse({ active: false })).toEqual({ active: false });
  });

  it('subscription prices: a monthly price per currency, longer periods not dearer per month', () => {
    const ok = subscriptionPricesInput.safeParse({
      prices: [
        { currency: 'usd', months: 1, priceMinor: 1000 },
        { currency: 'USD', months: 12, priceMinor: 12_000 },
      ],
    });
    expect(ok.success).toBe(true);
    const problems = (prices: unknown[]) =>
      subscriptionPricesInput.safeParse({ prices }).error?.issues.map((i) => i.message) ?? [];
    expect(problems([{ currency: 'ARS', months: 6, priceMinor: 100 }])).toEqual([
      'ARS needs a monthly price',
    ]);
    expect(
      problems([
        { currency: 'USD', months: 1, priceMinor: 1000 },
        { currency: 'USD', months: 3, priceMinor: 3001 },
      ]),
    ).toEqual(['3 months must not cost more than 3 × the monthly price']);
    expect(
      problems([
        { currency: 'USD', months: 1, priceMinor: 1000 },
        { currency: 'usd', months: 1, priceMinor: 900 },
      ]),
    ).toContain('USD/1 is listed twice');
  });
});

describe('what billing admins read', () => {
  it('the offer shows active packs without operator fields, and each period with its saving', async () => {
    const at = new Date('2026-11-01T00:00:00Z');
    const repo = {
      packs: (activeOnly: boolean) =>
        Promise.resolve(
          [
            {
              id: 1,
              name: 'A',
              messages: 100,
              price_minor: 300,
              currency: 'USD',
              validity_days: 30,
              active: true,
            },
            {
              id: 2,
              name: 'B',
              messages: 500,
              price_minor: 900,
              currency: 'USD',
              validity_days: 30,
              active: false,
            },
          ]
            .filter((p) => !activeOnly || p.active)
            .map((p) => ({ ...p, created_at: at, updated_at: at })),
        ),
      subscriptionPrices: () =>
        Promise.resolve([
          { currency: 'USD', months: 1 as const, price_minor: 2000, updated_at: at },
          { currency: 'USD', months: 6 as const, price_minor: 10_200, updated_at: at },
        ]),
    } as unknown as OfferRepository;
    expect(await new OfferService(repo).offer()).toEqual({
      packs: [{ id: 1, name: 'A', messages: 100, priceMinor: 300, currency: 'USD', validityDays: 30 }],
      subscription: [
        {
          currency: 'USD',
          periods: [
            { months: 1, priceMinor: 2000, perMonthMinor: 2000, savingPercent: 0 },
            { months: 6, priceMinor: 10_200, perMonthMinor: 1700, savingPercent: 15 },
          ],
        },
      ],
    });
  });

  it('consumption has every day of the window, 0 where nothing was spent, one series per channel', async () => {
    let since: Date | undefined;
    const repo = {
      consumption: (_portal: number, from: Date) => {
        since = from;
        return Promise.resolve([
          { day: '2026-11-28', channel_id: 'c1', units: 4 },
          { day: '2026-11-30', channel_id: 'c1', units: 1 },
          { day: '2026-11-30', channel_id: 'c2', units: 2 },
        ]);
      },
    } as unknown as BillingRepository;
    const out = await new LedgerService(repo).consumption(1, { days: 3 }, new Date('2026-11-30T15:00:00Z'));
    expect(since?.toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(out).toEqual({
      days: ['2026-11-28', '2026-11-29', '2026-11-30'],
      series: [
        { channelId: 'c1', units: [4, 0, 1] },
        { channelId: 'c2', units: [0, 0, 2] },
      ],
      total: 7,
    });
  });
});
