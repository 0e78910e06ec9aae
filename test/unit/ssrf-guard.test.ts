import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { LookupAddress } from 'node:dns';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { useCountingListener } from '../helpers/listener.js';
import { Bitrix24Client } from '../../src/integrations/bitrix24/bitrix24.client.js';
import { GupshupClient } from '../../src/integrations/gupshup/gupshup.client.js';
import { outcomeOf } from '../../src/jobs/worker.js';
import { ProviderError } from '../../src/shared/errors.js';
import { HttpClient, TransportError } from '../../src/shared/http/http-client.js';
import {
  BlockedAddressError,
  createGuardedAgent,
  guardedLookup,
  type Resolve,
} from '../../src/shared/http/ssrf-guard.js';

/**
 * The SSRF guard under every outbound call. No real DNS (a resolver table is injected) and nothing
 * leaves loopback: every refusal below happens before Node starts a connection attempt, which the
 * test observes on every client socket Node creates (diagnostics channel `net.client.socket`).
 */
const table: Record<string, LookupAddress[]> = {
  'vm.attacker.example': [{ address: '127.0.0.1', family: 4 }],
  'mixed.attacker.example': [
    { address: '203.0.114.10', family: 4 },
    { address: '::1', family: 6 },
  ],
  'mapped.attacker.example': [{ address: '::ffff:10.0.0.1', family: 6 }],
  'public.example': [
    { address: '203.0.114.10', family: 4 },
    { address: '2a00:1450:4001:82a::200e', family: 6 },
  ],
};
const asked: string[] = [];
const resolve: Resolve = async (host) => {
  asked.push(host);
  const found = table[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

/** TCP connection attempts (connect(2) calls) Node started while `fn` ran. */
async function attemptsDuring(fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const watch = (message: unknown) => {
    (message as { socket: Socket }).socket.on('connectionAttempt', () => n++);
  };
  subscribe('net.client.socket', watch);
  try {
    await fn().catch(() => undefined);
  } finally {
    unsubscribe('net.client.socket', watch);
  }
  return n;
}

describe('the guarded dispatcher', () => {
  const agent = createGuardedAgent({ resolve });
  const http = new HttpClient(agent);
  // A listener on loopback: what the refused requests would reach if the guard let them through.
  const listener = useCountingListener();
  afterAll(async () => {
    await agent.close();
  });

  const send = (url: string) => http.send({ method: 'POST', url, body: '{}', timeoutMs: 2_000 });

  it('lets the watch see a connection an unguarded client makes (control)', async () => {
    const plain = new HttpClient();
    const attempts = await attemptsDuring(() =>
      plain.send({ method: 'GET', url: `http://127.0.0.1:${listener.port}/` }),
    );
    expect(attempts).toBe(1);
    expect(listener.connections).toBe(1);
    listener.connections = 0;
  });

  it.each([
    'http://198.18.0.1/',
    'http://[::ffff:127.0.0.1]:PORT/rest/imconnector.register',
    'http://[64:ff9b::7f00:1]/',
    'http://[::1]:PORT/',
    'http://127.1:PORT/',
    'http://2130706433:PORT/',
    'http://0x7f000001:PORT/',
    'https://169.254.169.254/latest/meta-data/',
    'http://255.255.255.255/',
    'http://224.0.0.1/',
    'http://[2002:7f00:1::]/',
    'http://localhost.:PORT/',
    'http://vm:PORT/',
    'http://vm.attacker.example:PORT/rest/imconnector.register',
    'http://mixed.attacker.example:PORT/',
    'http://mapped.attacker.example/',
  ])('refuses %s before connecting, as blocked_address', async (raw) => {
    const url = raw.replace('PORT', String(listener.port));
    let err: unknown;
    const attempts = await attemptsDuring(async () => {
      err = await send(url).catch((e: unknown) => e);
    });
    expect(attempts).toBe(0);
    expect(err).toBeInstanceOf(TransportError);
    const t = err as TransportError;
    expect(t.code).toBe('blocked_address');
    expect(t.retryable).toBe(false);
    expect(t.outcomeUnknown).toBe(false);
    expect(t.cause).toBeInstanceOf(BlockedAddressError);
    // Names the host, never what an (internal) name resolved to.
    expect(t.message).toContain(new URL(url).host);
    if (!/^https?:\/\/[[\d]/.test(url)) expect(t.message).not.toMatch(/127\.0\.0\.1|::1|10\.0\.0\.1/);
    expect(listener.connections).toBe(0);
  });

  it('asks the resolver once per connection and never for IP literals', async () => {
    asked.length = 0;
    await send(`http://vm.attacker.example:${listener.port}/`).catch(() => undefined);
    await send(`http://[::ffff:127.0.0.1]:${listener.port}/`).catch(() => undefined);
    expect(asked).toEqual(['vm.attacker.example']);
  });

  it('hands the socket exactly the addresses it checked', async () => {
    const lookup = guardedLookup(resolve);
    const run = (host: string, options: { all?: boolean; family?: number }) =>
      new Promise<{ code?: string | undefined; address: unknown; family?: number | undefined }>((done) =>
        lookup(host, options, (err, address, family) => done({ code: err?.code, address, family })),
      );
    expect(await run('public.example', { all: true })).toEqual({
      address: table['public.example'],
      code: undefined,
      family: undefined,
    });
    expect(await run('public.example', { all: false, family: 6 })).toEqual({
      address: '2a00:1450:4001:82a::200e',
      family: 6,
      code: undefined,
    });
    // Any special-purpose address refuses the name, even one of a family the socket did not ask for.
    expect((await run('mixed.attacker.example', { all: false, family: 4 })).code).toBe('ESSRF');
    expect((await run('nowhere.example', { all: true })).code).toBe('ENOTFOUND');
  });
});

describe('a refused address in the provider adapters', () => {
  const agent = createGuardedAgent({ resolve });
  const http = new HttpClient(agent);
  afterAll(() => agent.close());

  it('is a non-retryable ProviderError, dead-lettered by the worker at once', async () => {
    const bitrix = new Bitrix24Client(
      http,
      {
        getAccess: () => Promise.reject(new Error('not used')),
        refreshSerialized: () => Promise.reject(new Error('not used')),
      },
      { oauthUrl: 'http://198.18.0.1', clientId: 'id', clientSecret: 'the-client-secret' },
    );
    const register = await bitrix
      .callWithToken('http://vm.attacker.example/rest/', 'the-access-token', 'imconnector.register', {})
      .catch((e: unknown) => e);
    expect(register).toBeInstanceOf(ProviderError);
    expect(register).toMatchObject({ retryable: false, providerCode: 'blocked_address' });
    expect((register as Error).message).not.toContain('the-access-token');
    expect(outcomeOf(register).kind).toBe('dead');

    const refresh = await bitrix.refresh('the-refresh-token').catch((e: unknown) => e);
    expect(refresh).toMatchObject({ retryable: false, providerCode: 'blocked_address' });
    expect((refresh as Error).message).not.toMatch(/the-client-secret|the-refresh-token/);

    const gupshup = new GupshupClient(http, 'http://[::ffff:127.0.0.1]');
    const sent = await gupshup
      .sendMessage({
        apiKey: 'k',
        appName: 'a',
        source: '1',
        destination: '2',
        message: { type: 'text', text: 'x' },
      })
      .catch((e: unknown) => e);
    expect(sent).toMatchObject({ retryable: false, providerCode: 'blocked_address', outcomeUnknown: false });
  });
});
