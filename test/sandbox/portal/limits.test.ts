/**
 * Tests the sandbox Bitrix24 portal itself against /work/shared/reference/bitrix24.md (section numbers
 * in the test names); nothing from src/ is used.
 * Rate limits and injected faults (§7, §1.5).
 */
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { setup, teardown, rest, portal, token, boot } from './harness.js';

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('rate limit and faults (§7, §1.5)', () => {
    beforeEach(async () => {
      await boot();
    });

    it('leaky bucket: above burst → 503 QUERY_LIMIT_EXCEEDED, refused calls do not fill it, it drains', async () => {
      // Slow drain so a loaded machine (calls taking 100+ ms) cannot leak a slot between the six calls.
      portal.setRate({ drainPerSec: 0.5, burst: 3 });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await rest(portal, 'profile', { auth: token })).status);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.slice(3)).toEqual([503, 503, 503]);
      const refused = await rest(portal, 'profile', { auth: token });
      expect(refused.body.error).toBe('QUERY_LIMIT_EXCEEDED');
      await new Promise((res) => setTimeout(res, 2_100)); // drains ≥1 slot
      expect((await rest(portal, 'profile', { auth: token })).status).toBe(200);
      portal.setRate(null);
      for (let i = 0; i < 20; i++) expect((await rest(portal, 'profile', { auth: token })).status).toBe(200);
    });

    it('default plan (2/s, burst 50) refuses a burst of 60 parallel calls beyond ~50', async () => {
      const rs = await Promise.all(
        Array.from({ length: 60 }, () => rest(portal, 'profile', { auth: token })),
      );
      const ok = rs.filter((r) => r.status === 200).length;
      // 1 call was already made by boot? no: install makes none; allow a little drain
      expect(ok).toBeGreaterThanOrEqual(49);
      expect(ok).toBeLessThanOrEqual(52);
      expect(rs.filter((r) => r.body.error === 'QUERY_LIMIT_EXCEEDED').length).toBe(60 - ok);
    });

    it('failNext and outage', async () => {
      portal.failNext({ method: 'profile', times: 2, status: 500, error: 'INTERNAL_SERVER_ERROR' });
      portal.failNext({ method: '*', times: 1, status: 429, error: 'OPERATION_TIME_LIMIT' });
      const a = await rest(portal, 'app.info', { auth: token });
      expect([a.status, a.body.error]).toEqual([429, 'OPERATION_TIME_LIMIT']);
      const b = await rest(portal, 'profile', { auth: token });
      expect([b.status, b.body.error]).toEqual([500, 'INTERNAL_SERVER_ERROR']);
      expect((await rest(portal, 'profile', { auth: token })).status).toBe(500);
      expect((await rest(portal, 'profile', { auth: token })).status).toBe(200);

      portal.outage({ ms: 120 });
      const c = await rest(portal, 'profile', { auth: token });
      expect([c.status, c.body.error]).toEqual([503, 'QUERY_LIMIT_EXCEEDED']);
      await new Promise((res) => setTimeout(res, 150));
      expect((await rest(portal, 'profile', { auth: token })).status).toBe(200);
      const log = portal.calls();
      expect(log.filter((x) => x.status === 500)).toHaveLength(2);
      expect(log.every((x) => typeof x.at === 'number')).toBe(true);
    });
  });
});
