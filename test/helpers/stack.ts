import { afterAll, beforeAll } from 'vitest';
import {
  connectChannel,
  installAndToken,
  startStack,
  type DemoChannel,
  type Stack,
  type StackOptions,
} from '../../scripts/stack.js';
import { TokensRepository } from '../../src/modules/tokens/tokens.repository.js';
import { createTestDatabase } from './db.js';

/**
 * The app and both sandboxes for one describe block, on a database of its own: started before its
 * tests, closed and dropped after. Returns the stack (usable once the block's tests run).
 */
export function useStack(opts: Omit<StackOptions, 'databaseUrl'> = {}): Stack {
  let current: Stack | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    current = await startStack({ ...opts, databaseUrl: db.url });
  });
  afterAll(async () => {
    await current?.close();
    await drop?.();
  });
  return new Proxy({} as Stack, {
    get(_t, prop) {
      if (!current) throw new Error('useStack(): the stack is only there once the tests run');
      return Reflect.get(current, prop) as unknown;
    },
  });
}

/**
 * Installs the app into the sandbox portal as an Enterprise portal (5 req/s, burst 250, reference
 * §7) and connects a channel on open line 1. The page tests click through many pages in a few
 * seconds; they are about the pages, not the REST budget (batching and two-instances tests hold that).
 */
export async function installedEnterprise(s: Stack): Promise<{ token: string; ch: DemoChannel }> {
  const token = await installAndToken(s);
  s.portal.setRate({ drainPerSec: 5, burst: 250 });
  await s.deps.db.updateTable('portals').set({ rate_drain_per_sec: 5, rate_burst: 250 }).execute();
  return { token, ch: await connectChannel(s, token, 1) };
}

/** Another installed portal with an API token of its own, to check that portals stay apart. */
export async function anotherPortal(s: Stack, tag: string): Promise<{ portalId: number; token: string }> {
  const p = await s.deps.db
    .insertInto('portals')
    .values({
      member_id: `${tag}-member`,
      domain: `${tag}.example.com`,
      client_endpoint: `https://${tag}.example.com/rest/`,
      status: 'installed',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const token = `wab24_${tag}token_0123456789abcdef`.slice(0, 40);
  await new TokensRepository(s.deps.db).insert({
    portalId: p.id,
    tokenMac: s.deps.box.mac(token),
    prefix: token.slice(0, 10),
    label: null,
    createdByUserId: null,
  });
  return { portalId: p.id, token };
}
