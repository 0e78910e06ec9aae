import { afterAll, beforeAll } from 'vitest';
import {
  connectChannel,
  installAndToken,
  startStack,
  type DemoChannel,
  type Stack,
  type StackOptions,
} from '../../scripts/stack.js';
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
