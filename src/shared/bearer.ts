import type { FastifyRequest } from 'fastify';
import { safeEqual } from './crypto.js';
import { NotFoundError, UnauthorizedError } from './errors.js';

/**
 * An `onRequest` check for routes a static token from config switches on (the operator API,
 * /metrics): without a configured token the route answers as if it did not exist; with one, the
 * caller must send it as `Authorization: Bearer …` (compared in constant time).
 */
export function staticBearer(want: string | undefined, what: string) {
  return async (req: FastifyRequest): Promise<void> => {
    if (!want) throw new NotFoundError(`No route ${req.method} ${req.url.split('?')[0]}`);
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m?.[1] || !safeEqual(m[1], want)) throw new UnauthorizedError(`${what} required`);
  };
}
