/**
 * Tests the sandbox Bitrix24 portal itself against /work/shared/reference/bitrix24.md (section numbers
 * in the test names); nothing from src/ is used.
 * The installation (§1.2, §1.3, §1.4): install page, ONAPPINSTALL, installFinish.
 */
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import {
  setup,
  teardown,
  CLIENT_ID,
  rest,
  formOf,
  pick,
  portal,
  app,
  token,
  boot,
  startPortal,
} from './harness.js';

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('installation (§1.2, §1.3, §1.4)', () => {
    it('UI install POSTs query DOMAIN/PROTOCOL/LANG/APP_SID and the form fields', async () => {
      await boot({ lang: 'pt' }, false);
      const hit = app.hits[0];
      expect(hit?.url.startsWith('/b24/install?')).toBe(true);
      expect(hit?.query.get('DOMAIN')).toBe(portal.domain);
      expect(hit?.query.get('PROTOCOL')).toBe('0');
      expect(hit?.query.get('LANG')).toBe('pt');
      expect(hit?.query.get('APP_SID')).toMatch(/^[0-9a-f]{32}$/);
      expect(hit?.contentType).toBe('application/x-www-form-urlencoded');
      const f = formOf(hit);
      expect(f['AUTH_EXPIRES']).toBe('3600');
      expect(f['SERVER_ENDPOINT']).toBe(`${portal.oauthUrl}/rest/`);
      expect(f['APPLICATION_TOKEN']).toBe(portal.applicationToken);
      expect(f['APPLICATION_TOKEN']).not.toBe(hit?.query.get('APP_SID'));
      expect(f['member_id']).toBe(portal.memberId);
      expect(f['status']).toBe('L');
      expect(f['PLACEMENT']).toBe('DEFAULT');
      expect(f['PLACEMENT_OPTIONS']).toBe('{}');
      expect(portal.isInstalled()).toBe(true);
      // not finished yet: app.info says INSTALLED false (§1.4)
      const info = await rest<{ result: { INSTALLED: boolean; CODE: string } }>(portal, 'app.info', {
        auth: token,
      });
      expect(info.body.result.INSTALLED).toBe(false);
      expect(info.body.result.CODE).toBe(CLIENT_ID);
      portal.finishInstall();
      const info2 = await rest<{ result: { INSTALLED: boolean } }>(portal, 'app.info', { auth: token });
      expect(info2.body.result.INSTALLED).toBe(true);
    });

    it('callback install POSTs ONAPPINSTALL form-encoded with refresh_token and application_token; finished at once', async () => {
      await startPortal();
      await portal.installApp({ installUrl: `${app.url}/b24/install`, mode: 'callback' });
      const f = formOf(app.hits[0]);
      expect(f['event']).toBe('ONAPPINSTALL');
      expect(pick(f, 'data.LANGUAGE_ID')).toBe('es');
      expect(pick(f, 'auth.application_token')).toBe(portal.applicationToken);
      expect(pick(f, 'auth.member_id')).toBe(portal.memberId);
      expect(pick(f, 'auth.client_endpoint')).toBe(`${portal.url}/rest/`);
      expect(typeof pick(f, 'auth.refresh_token')).toBe('string');
      const info = await rest<{ result: { INSTALLED: boolean } }>(portal, 'app.info', {
        auth: String(pick(f, 'auth.access_token')),
      });
      expect(info.body.result.INSTALLED).toBe(true);
    });
    it('the portal page frames the install page; only that frame may finish the installation (§1.4)', async () => {
      await boot({}, false);
      const finished = async () =>
        ((await (await fetch(`${portal.url}/`)).json()) as { install_finished: boolean }).install_finished;
      const finish = (APP_SID: string) =>
        fetch(`${portal.url}/app/install-finish`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ APP_SID }),
        });
      expect((await finish('0'.repeat(32))).status).toBe(400);
      await expect(finished()).resolves.toBe(false);

      const html = await (
        await fetch(`${portal.url}/?view=install`, { headers: { accept: 'text/html' } })
      ).text();
      const action = new URL(
        (/<form id="open" method="post" target="app" action="([^"]+)"/.exec(html)?.[1] ?? '').replaceAll(
          '&#38;',
          '&',
        ),
      );
      expect(action.origin + action.pathname).toBe(`${app.url}/b24/install`);
      // The page answers the frame's getInitData: still installing, with the viewer's token.
      expect(html).toContain('"INSTALL":true');
      expect(html).toContain(`var appSid = "${action.searchParams.get('APP_SID')}"`);
      expect((await finish(action.searchParams.get('APP_SID') ?? '')).status).toBe(200);
      await expect(finished()).resolves.toBe(true);
    });
  });
});
