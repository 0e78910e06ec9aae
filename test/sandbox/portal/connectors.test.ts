/**
 * Tests the sandbox Bitrix24 portal itself against /work/shared/reference/bitrix24.md (section numbers
 * in the test names); nothing from src/ is used.
 * Connectors and their lines (§3.1–§3.6).
 */
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { setup, teardown, ICON, rest, portal, app, token, boot, registerAndActivate } from './harness.js';

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('imconnector.register / list / unregister (§3.1–§3.3)', () => {
    beforeEach(async () => {
      await boot();
    });

    it('failures are HTTP 200 with result.result:false', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ NAME: 'x', ICON, PLACEMENT_HANDLER: 'http://h' }, 'CONNECTOR_ID_REQUIRED'],
        [
          { ID: 'acme.wa', NAME: 'x', ICON, PLACEMENT_HANDLER: 'http://h' },
          'APPLICATION_REGISTRATION_ERROR_POINT',
        ],
        [{ ID: 'acme_wa', ICON, PLACEMENT_HANDLER: 'http://h' }, 'NAME_REQUIRED'],
        [{ ID: 'acme_wa', NAME: 'x', PLACEMENT_HANDLER: 'http://h' }, 'ICON_REQUIRED'],
        [{ ID: 'acme_wa', NAME: 'x', ICON }, 'NO_PLACEMENT_HANDLER'],
      ];
      for (const [params, error] of cases) {
        const r = await rest<{ result: { result: boolean; error: string } }>(portal, 'imconnector.register', {
          auth: token,
          ...params,
        });
        expect(r.status).toBe(200);
        expect(r.body.result).toMatchObject({ result: false, error });
      }
      expect(portal.connectors()).toHaveLength(0);
    });

    it('ID is lower-cased; re-register updates; list; unregister removes statuses', async () => {
      const base = { auth: token, ID: 'Acme_WA', ICON, PLACEMENT_HANDLER: `${app.url}/b24/connector` };
      await rest(portal, 'imconnector.register', { ...base, NAME: 'One' });
      await rest(portal, 'imconnector.register', { ...base, NAME: 'Two', NEED_SIGNATURE: false });
      expect(portal.connectors()).toHaveLength(1);
      expect(portal.connectors()[0]).toMatchObject({ ID: 'acme_wa', NAME: 'Two', NEED_SIGNATURE: false });
      const list = await rest<{ result: Record<string, string> }>(portal, 'imconnector.list', {
        auth: token,
      });
      expect(list.body.result['acme_wa']).toBe('Two');
      await rest(portal, 'imconnector.activate', { auth: token, CONNECTOR: 'acme_wa', LINE: 1, ACTIVE: 1 });
      expect(portal.lineStatus(1, 'acme_wa').active).toBe(true);
      const un = await rest<{ result: { result: boolean } }>(portal, 'imconnector.unregister', {
        auth: token,
        ID: 'acme_wa',
      });
      expect(un.body.result.result).toBe(true);
      expect(portal.connectors()).toHaveLength(0);
      expect(portal.lineStatus(1, 'acme_wa')).toEqual({ active: false, data: null, error: false });
    });
  });

  describe('activate / status / data.set (§3.4–§3.6)', () => {
    beforeEach(async () => {
      await boot();
    });

    it('status without LINE is LINE 0 → not configured; activate, data.set, deactivate wipes data', async () => {
      await registerAndActivate(1);
      const s0 = await rest<{ result: Record<string, unknown> }>(portal, 'imconnector.status', {
        auth: token,
        CONNECTOR: 'acme_wa',
      });
      expect(s0.body.result).toMatchObject({ LINE: 0, CONFIGURED: false, STATUS: false });
      const s1 = await rest<{ result: Record<string, unknown> }>(portal, 'imconnector.status', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
      });
      expect(s1.body.result).toEqual({
        LINE: 1,
        CONNECTOR: 'acme_wa',
        ERROR: false,
        CONFIGURED: true,
        STATUS: true,
      });

      await rest(portal, 'imconnector.connector.data.set', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        DATA: { id: 'wa-5215550000', url: 'https://wa.me/5215550000', NAME: 'Ventas WA' },
      });
      expect(portal.lineStatus(1, 'acme_wa').data).toEqual({
        ID: 'wa-5215550000',
        URL: 'https://wa.me/5215550000',
        NAME: 'Ventas WA',
      });

      await rest(portal, 'imconnector.activate', { auth: token, CONNECTOR: 'acme_wa', LINE: 1, ACTIVE: '0' });
      expect(portal.lineStatus(1, 'acme_wa')).toEqual({ active: false, data: null, error: false });
      // "N" is non-empty → enables (§3.4), but the data is gone
      await rest(
        portal,
        'imconnector.activate',
        { auth: token, CONNECTOR: 'acme_wa', LINE: 1, ACTIVE: 'N' },
        { form: true },
      );
      expect(portal.lineStatus(1, 'acme_wa')).toEqual({ active: true, data: null, error: false });
    });

    it('argument errors → 400 ERROR_ARGUMENT; unknown connector → IMCONNECTOR_NO_CORRECT_PROVIDER', async () => {
      await registerAndActivate(1);
      const a = await rest(portal, 'imconnector.activate', { auth: token, CONNECTOR: 'acme_wa', ACTIVE: 1 });
      expect([a.status, a.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
      const b = await rest(portal, 'imconnector.activate', {
        auth: token,
        CONNECTOR: 'other',
        LINE: 1,
        ACTIVE: 1,
      });
      expect([b.status, b.body.error]).toEqual([400, 'IMCONNECTOR_NO_CORRECT_PROVIDER']);
    });
  });
});
