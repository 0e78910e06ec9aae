import { z } from 'zod';

/**
 * The campaigns' settings (docs/campaigns.md), part of config.ts's one schema of the environment:
 * kept beside it so config.ts stays readable.
 */
export const campaignEnv = {
  CAMPAIGN_LIST_MAX_ROWS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(100_000)
    .describe('Most rows of a campaign list (CSV or CRM)'),
  CAMPAIGN_LIST_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(20_971_520)
    .describe('Largest campaign list CSV upload, bytes'),
  CAMPAIGN_DEFAULT_TIER: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000_000)
    .default(1000)
    .describe(
      'Messaging tier campaigns keep to: unique recipients per channel per rolling 24 hours (WhatsApp TIER_1K = 1000); 0 = no limit',
    ),
};
