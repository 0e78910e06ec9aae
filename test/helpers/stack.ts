import { afterAll, beforeAll } from 'vitest';
import { startStack, type Stack, type StackOptions } from '../../scripts/stack.js';
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
