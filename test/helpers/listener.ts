import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/**
 * A TCP listener on loopback that counts the connections it gets and drops them: where a refused
 * request would have gone had the SSRF guard let it through. Started and closed with the block.
 */
export function useCountingListener(): { port: number; connections: number } {
  const state = { port: 0, connections: 0 };
  let listener: Server | undefined;
  beforeAll(async () => {
    const l = createServer((socket) => {
      state.connections++;
      socket.destroy();
    });
    listener = l;
    await new Promise<void>((r) => l.listen(0, '127.0.0.1', r));
    state.port = (l.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => (listener ? listener.close(() => r()) : r())));
  return state;
}
