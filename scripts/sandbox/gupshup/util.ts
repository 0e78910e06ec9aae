/** Small helpers shared by the sandbox's parts. */
import { randomBytes } from 'node:crypto';

export type Json = Record<string, unknown>;

/** mulberry32: small deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

export function charLen(s: string): number {
  return [...s].length;
}

/** WhatsApp (Cloud API) message id look-alike: `wamid.` + base64 (§0 ids table). */
export function newWamid(): string {
  return `wamid.HBgM${randomBytes(24).toString('base64').replace(/[+/=]/g, 'A')}`;
}

export function errorBody(message: string): Json {
  return { message, status: 'error' };
}
