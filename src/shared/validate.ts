import { z } from 'zod';
import { ValidationError, describeIssues } from './errors.js';

/** Parses caller input with a zod schema; a mismatch is a 400 naming the fields at fault. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new ValidationError(describeIssues(r.error.issues), r.error.issues);
  return r.data;
}

/** Largest value of a PostgreSQL integer: Bitrix24 ids and line numbers are checked against it. */
export const INT_MAX = 2_147_483_647;

/**
 * A Bitrix24 id from a caller: a JSON number or a plain decimal string (forms send "2"), 1 up to
 * `max`. Not what z.coerce.number() would also take: "1e3", "0x10", " 2", [2], true.
 */
export const wholeIdInput = (message: string, max = INT_MAX) =>
  z.unknown().transform((v, ctx) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : NaN;
    if (Number.isInteger(n) && n >= 1 && n <= max) return n;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });

/** An open line id from a caller (see wholeIdInput). */
export const lineIdInput = wholeIdInput('an open line id (a positive whole number)');

/** The query string Bitrix24 opens an app's iframe pages with (reference bitrix24.md §1.2). */
export const iframeQuery = z.object({
  DOMAIN: z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'a portal host name'),
  PROTOCOL: z.enum(['0', '1']).optional(),
  LANG: z.string().max(8).optional(),
  APP_SID: z.string().max(128).optional(),
});
