/**
 * Tests the sandbox Bitrix24 portal itself against /work/shared/reference/bitrix24.md (section numbers
 * in the test names); nothing from src/ is used.
 * The REST transport (§1.5) and the tokens of the OAuth server (§1.6).
 */
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import {
  setup,
  teardown,
  CLIENT_ID,
  CLIENT_SECRET,
  rest,
  oauth,
  portal,
  token,
  refresh,
  boot,
} from './harness.js';

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('REST transport (§1.5)', () => {
    beforeEach(async () => {
      await boot();
    });

    it('answers {result,time} via JSON, form, GET and the .json suffix', async () => {
      const a = await rest<{ result: { ID: string; ADMIN: boolean; NAME: string } }>(portal, 'profile', {
        auth: token,
      });
      expect(a.status).toBe(200);
      expect(a.body.result).toMatchObject({
        ID: '1',
        ADMIN: true,
        NAME: 'Ana',
        LAST_NAME: 'Admin',
        TIME_ZONE: '',
      });
      for (const k of [
        'start',
        'finish',
        'duration',
        'processing',
        'date_start',
        'date_finish',
        'operating_reset_at',
        'operating',
      ]) {
        expect(a.body.time).toHaveProperty(k);
      }
      const b = await rest<{ result: boolean }>(portal, 'user.admin.json', { auth: token }, { form: true });
      expect(b.body.result).toBe(true);
      const c = await rest<{ result: { ID: string } }>(
        portal,
        'profile.json',
        { auth: token },
        { get: true },
      );
      expect(c.body.result.ID).toBe('1');
    });

    it('unknown token → 401 NO_AUTH_FOUND; unknown method → 404 ERROR_METHOD_NOT_FOUND', async () => {
      const a = await rest(portal, 'profile', { auth: 'nope' });
      expect(a.status).toBe(401);
      expect(a.body.error).toBe('NO_AUTH_FOUND');
      const b = await rest(portal, 'profile', {});
      expect(b.status).toBe(401);
      const c = await rest(portal, 'no.such.method', { auth: token });
      expect(c.status).toBe(404);
      expect(c.body.error).toBe('ERROR_METHOD_NOT_FOUND');
      expect(portal.calls().map((x) => [x.method, x.status, x.error])).toContainEqual([
        'no.such.method',
        404,
        'ERROR_METHOD_NOT_FOUND',
      ]);
    });

    it('the OAuth server REST root serves app.info too (§6.2)', async () => {
      const r = await rest<{ result: { CODE: string } }>(
        portal,
        'app.info',
        { auth: token },
        { base: `${portal.oauthUrl}/rest/` },
      );
      expect(r.body.result.CODE).toBe(CLIENT_ID);
    });
  });

  describe('tokens (§1.6)', () => {
    beforeEach(async () => {
      await boot();
    });

    it('expired access token → 401 expired_token; refresh rotates the refresh token; the old one → invalid_grant', async () => {
      portal.expireAccessTokens();
      const a = await rest(portal, 'profile', { auth: token });
      expect(a.status).toBe(401);
      expect(a.body.error).toBe('expired_token');

      const r = await oauth(portal, {
        grant_type: 'refresh_token',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        refresh_token: refresh,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        expires_in: 3600,
        client_endpoint: `${portal.url}/rest/`,
        server_endpoint: `${portal.oauthUrl}/rest/`,
        member_id: portal.memberId,
        user_id: 1,
        status: 'L',
      });
      expect(r.body['refresh_token']).not.toBe(refresh);
      expect(Number(r.body['expires'])).toBeGreaterThan(Date.now() / 1000);
      expect(portal.tokenRefreshes()).toBe(1);

      const ok = await rest(portal, 'profile', { auth: String(r.body['access_token']) });
      expect(ok.status).toBe(200);

      const again = await oauth(portal, {
        grant_type: 'refresh_token',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        refresh_token: refresh,
      });
      expect(again.status).toBe(400);
      expect(again.body['error']).toBe('invalid_grant');

      // the new refresh token works once, by POST form too
      const third = await oauth(
        portal,
        {
          grant_type: 'refresh_token',
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          refresh_token: String(r.body['refresh_token']),
        },
        true,
      );
      expect(third.status).toBe(200);
      expect(portal.tokenRefreshes()).toBe(2);
    });

    it('wrong client → invalid_client; tokens expire in real time with a short TTL', async () => {
      const r = await oauth(portal, {
        grant_type: 'refresh_token',
        client_id: CLIENT_ID,
        client_secret: 'wrong',
        refresh_token: refresh,
      });
      expect(r.body['error']).toBe('invalid_client');
      await portal.close();
      await boot({ accessTokenTtlSec: 1 });
      await new Promise((res) => setTimeout(res, 1100));
      const a = await rest(portal, 'profile', { auth: token });
      expect(a.body.error).toBe('expired_token');
    });
  });
});
