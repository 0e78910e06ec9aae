import { describe, expect, it } from 'vitest';
import { api, installAndToken, SAMPLE_PORTAL } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { asUser } from '../helpers/templates.js';

/**
 * Issue 13, the companies a notification group hears about: searched in the portal's CRM
 * (crm.company.list with a `%TITLE` filter) through the Bitrix24 client, for the Notifications tab.
 * The sandbox portal has three companies: "Empresa 1", "Empresa 2" and "Ñandú S.A.".
 */
type Companies = { companies: { id: number; title: string }[] };
type Refusal = { error: { code: string; message: string } };

describe('notification companies search', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';

  it('lists the CRM companies whose title contains the text, sorted, with their ids', async () => {
    token = await installAndToken(s);
    const all = await api<Companies>(s, token, 'GET', '/notification-companies');
    expect(all.status).toBe(200);
    expect(all.body.companies.map((c) => c.title)).toEqual(
      expect.arrayContaining(['Empresa 1', 'Empresa 2', 'Ñandú S.A.']),
    );
    const some = await api<Companies>(s, token, 'GET', '/notification-companies?search=empresa');
    expect(some.body.companies).toEqual([
      { id: 7, title: 'Empresa 1' },
      { id: 8, title: 'Empresa 2' },
    ]);
    const accented = await api<Companies>(
      s,
      token,
      'GET',
      `/notification-companies?search=${encodeURIComponent('ñandú')}`,
    );
    expect(accented.body.companies).toEqual([{ id: 9, title: 'Ñandú S.A.' }]);
    const none = await api<Companies>(s, token, 'GET', '/notification-companies?search=zzz');
    expect(none.body).toEqual({ companies: [] });
    // What went to the portal: the filter on part of the title, only the fields the tab shows.
    const call = s.portal
      .calls()
      .filter((c) => c.method === 'crm.company.list')
      .at(-1);
    expect(JSON.stringify(call?.params)).toContain('%TITLE');
  });

  it('refuses a search text that is too long (400) and says so when Bitrix24 does not answer (503)', async () => {
    const long = await api<Refusal>(s, token, 'GET', `/notification-companies?search=${'a'.repeat(101)}`);
    expect(long.status).toBe(400);
    s.portal.failNext({ method: 'crm.company.list', times: 5, status: 503, error: 'INTERNAL_SERVER_ERROR' });
    const down = await api<Refusal>(s, token, 'GET', '/notification-companies?search=empresa');
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('upstream_unavailable');
  });

  it('refuses users whose chat roles do not allow managing notifications, before the input is read', async () => {
    const BRUNO = 2;
    expect((await asUser(s, BRUNO, 'GET', '/notification-companies?search=empresa')).status).toBe(403);
    expect((await asUser(s, BRUNO, 'GET', `/notification-companies?search=${'a'.repeat(200)}`)).status).toBe(
      403,
    );
  });
});
