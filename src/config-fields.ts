import { z } from 'zod';

/** The kinds of value config.ts's variables share (empty or unset means "not set"). */
export const optionalUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined))
  .pipe(z.url().optional());

/** DATABASE_URL: empty → embedded; otherwise a PostgreSQL URL (the scheme is checked, not only the form). */
export const databaseUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined))
  .pipe(
    z
      .url({
        protocol: /^postgres(ql)?$/,
        error: 'must be a postgres:// or postgresql:// URL (or empty for the embedded PostgreSQL)',
      })
      .optional(),
  );

/** Free text where empty or unset means "not set". */
export const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

/** A bearer token that switches a route on: empty or unset → off (`VAR=` as .env.example has it). */
export const optionalToken = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined))
  .pipe(z.string().min(32, 'must be at least 32 characters (or empty to switch it off)').optional());
