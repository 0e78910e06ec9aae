import type { LookupAddress } from 'node:dns';
import { stringify } from 'qs';
import { describe, expect, it } from 'vitest';
import type { Resolve } from '../../src/shared/http/ssrf-guard.js';
import { useCountingListener } from '../helpers/listener.js';
import { useStack } from '../helpers/stack.js';

/**
 * The app as deployed (`B24_ALLOW_PRIVATE_HOSTS=false`), with the SSRF guard's resolver replaced by a
 * table (no real DNS here) in which attacker names point at loopback, where a sandbox portal and a
 * bare listener wait. Install requests naming them must answer 4xx and reach neither.
 */
const table: Record<string, LookupAddress[]> = {
  'vm.attacker.example': [{ address: '127.0.0.1', family: 4 }],
  'b24.attacker.example': [{ address: '127.0.0.1', family: 4 }],
  'dual.attacker.example': [
    { address: '203.0.114.10', family: 4 },
    { address: '::ffff:127.0.0.1', family: 6 },
  ],
};
const asked: string[] = [];
const resolve: Resolve = async (host) => {
  asked.push(host);
  const found = table[host.toLowerCase()];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

describe('SSRF guard with private hosts off', () => {
  const s = useStack({
    worker: false,
    env: { B24_ALLOW_PRIVATE_HOSTS: 'false' },
    overrides: { resolve },
  });
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const listener = useCountingListener();

  const portals = async () =>
    (
      await s.deps.db
        .selectFrom('portals')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
    )?.n;

  it('answers an install page whose DOMAIN resolves to loopback with a 4xx and never calls it', async () => {
    const sandboxPort = new URL(s.portal.url).port;
    const domains = [
      `vm:${sandboxPort}`, // the reported attack: a single label the server's resolver completes
      `vm.attacker.example:${sandboxPort}`, // passes the name check: only the dispatcher stops it
      `vm.attacker.example:${listener.port}`,
      `dual.attacker.example:${listener.port}`,
      `localhost.:${sandboxPort}`,
      `2130706433:${sandboxPort}`,
      `127.1:${listener.port}`,
    ];
    asked.length = 0;
    for (const [i, domain] of domains.entries()) {
      const res = await fetch(
        `${s.url}/b24/install?DOMAIN=${encodeURIComponent(domain)}&PROTOCOL=0&LANG=en`,
        {
          method: 'POST',
          headers: form,
          body: stringify({ AUTH_ID: 'stolen', REFRESH_ID: 'r', member_id: `ssrf-member-${i}` }),
        },
      );
      const text = await res.text();
      expect.soft(res.status, `${domain}: ${text.slice(0, 200)}`).toBe(400);
      expect.soft(text, domain).toContain('The portal address must be a public host');
    }
    // The names that pass the name check went to the guard's resolver; none reached a listener.
    expect(asked).toEqual(['vm.attacker.example', 'vm.attacker.example', 'dual.attacker.example']);
    expect(s.portal.calls()).toEqual([]);
    expect(listener.connections).toBe(0);
    expect(Number(await portals())).toBe(0);
  });

  it('refuses an ONAPPINSTALL pointing at such a host before anything is stored or called', async () => {
    const domain = `b24.attacker.example:${listener.port}`;
    asked.length = 0;
    const res = await fetch(`${s.url}/b24/install`, {
      method: 'POST',
      headers: form,
      body: stringify({
        event: 'ONAPPINSTALL',
        data: { LANGUAGE_ID: 'en' },
        auth: {
          member_id: 'ssrf-event-member',
          application_token: 'app-token',
          domain,
          access_token: 'access',
          refresh_token: 'refresh',
          expires_in: '3600',
          client_endpoint: `http://${domain}/rest/`,
        },
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      'The portal address must be a public host',
    );
    expect(asked).toEqual(['b24.attacker.example']);
    const jobs = await s.deps.db.selectFrom('jobs').select('id').execute();
    expect(jobs).toEqual([]);
    expect(Number(await portals())).toBe(0);
    expect(s.portal.calls()).toEqual([]);
    expect(listener.connections).toBe(0);
  });
});
