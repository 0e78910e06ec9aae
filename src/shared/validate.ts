import type { z } from 'zod';
import { ValidationError, describeIssues } from './errors.js';

/** Parses caller input with a zod schema; a mismatch is a 400 naming the fields at fault. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new ValidationError(describeIssues(r.error.issues), r.error.issues);
  return r.data;
}
