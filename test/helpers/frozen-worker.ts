import {
  connectChannel,
  installAndToken,
  startStack,
  type DemoChannel,
  type Stack,
} from '../../scripts/stack.js';
import { createTestDatabase } from './db.js';

/** Where instance A's worker may "die": the messaging hooks (src/modules/messaging/ports.ts). */
export type FreezePoint = 'reserve' | 'gupshup.send' | 'bitrix.send';

/**
 * A worker killed mid-job, without killing the test (docs/architecture.md, "Exactly once"): instance
 * A's worker freezes at the chosen point forever, as a killed process would; instance B shares the
 * database and takes the job over when A's lease runs out.
 */
export interface FrozenWorkerPair {
  a: Stack;
  ch: DemoChannel;
  /** Message ids A froze on, in order. */
  frozen: number[];
  /** The next time A reaches `point`, it freezes there. */
  freezeAt(point: FreezePoint): void;
  /** B, started once; A's worker claims nothing more (its frozen job keeps its lease until it runs out). */
  takeOver(): Promise<Stack>;
  close(): Promise<void>;
}

export async function frozenWorkerPair(env: Record<string, string> = {}): Promise<FrozenWorkerPair> {
  const db = await createTestDatabase();
  const workerConfig = { leaseMs: 800, inFlightGraceMs: 4_000 };
  const frozen: number[] = [];
  let freezeNext: FreezePoint | null = null;
  const maybeFreeze = async (point: FreezePoint, messageId: number): Promise<void> => {
    if (freezeNext !== point) return;
    freezeNext = null;
    frozen.push(messageId);
    await new Promise<void>(() => undefined); // never returns: the process "died" here
  };
  const a = await startStack({
    databaseUrl: db.url,
    env,
    workerConfig,
    overrides: {
      hooks: {
        afterReserve: (messageId) => maybeFreeze('reserve', messageId),
        afterUpstreamCall: (kind, messageId) => maybeFreeze(kind, messageId),
      },
    },
  });
  const ch = await connectChannel(a, await installAndToken(a), 1);
  let b: Stack | undefined;
  return {
    a,
    ch,
    frozen,
    freezeAt: (point) => {
      freezeNext = point;
    },
    takeOver: async () => {
      await a.deps.worker.stop(0);
      b ??= await startStack({ databaseUrl: db.url, shareWith: a, env, workerConfig });
      return b;
    },
    close: async () => {
      await b?.close();
      await a.close();
      await db.drop();
    },
  };
}
