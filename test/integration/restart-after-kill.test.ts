import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxGupshup, type SandboxGupshup } from '../../scripts/sandbox/gupshup/index.js';
import { startSandboxPortal, type SandboxPortal } from '../../scripts/sandbox/portal/index.js';
import {
  appProcessEnv,
  spawnApp,
  STACK_CLIENT_ID,
  STACK_CLIENT_SECRET,
  waitFor,
} from '../../scripts/stack.js';
import { createDatabase } from '../../src/shared/db/database.js';
import { installAndConnect, postCustomerText } from '../helpers/spawned.js';
import {
  embeddedUrl,
  freePort,
  processInfo,
  readPostmasterLock,
  startEmbeddedPostgres,
} from '../../src/shared/db/embedded.js';

/**
 * The app on its embedded PostgreSQL (DATABASE_URL empty), as `npm start` runs it. The OOM killer or
 * `kill -9` of the node process alone leaves the postmaster running on the data folder: the next
 * start must shut that orphan down cleanly and come up, and every message acknowledged before the
 * kill must still reach Bitrix24 exactly once. Also: a kill of the whole process group with an
 * immediate restart, a lock file naming a PID that was reused, and a folder still in use by a live
 * process (refused with one line, the running server untouched).
 */
describe('restart on the embedded database after the app process alone is killed', () => {
  const dataDir = path.resolve('test/.tmp', `app-kill-${randomBytes(4).toString('hex')}`);
  const pgDir = path.join(dataDir, 'pg');
  let portal: SandboxPortal;
  let gupshup: SandboxGupshup;
  let app: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;
  let url: string;
  const extra: ChildProcess[] = [];

  const start = async (opts: { detached?: boolean } = {}) => {
    app = await spawnApp(env, 'ignore', opts);
  };
  /** SIGTERM: the app closes and stops its PostgreSQL, which removes its lock file. */
  const stopGracefully = async () => {
    const running = app;
    app = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGTERM');
    await exited;
  };
  /** Counts of what the database holds, on whatever port the embedded server now listens. */
  const inDatabase = async <T>(
    q: (db: ReturnType<typeof createDatabase>['db']) => Promise<T>,
  ): Promise<T> => {
    const port = readPostmasterLock(pgDir)?.port;
    if (!port) throw new Error('no embedded PostgreSQL running');
    const { db } = createDatabase(embeddedUrl(port), { max: 1 });
    try {
      return await q(db);
    } finally {
      await db.destroy();
    }
  };

  beforeAll(async () => {
    portal = await startSandboxPortal({ clientId: STACK_CLIENT_ID, clientSecret: STACK_CLIENT_SECRET });
    portal.setRate(null);
    gupshup = await startSandboxGupshup();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // DATABASE_URL empty: the app starts (and on exit stops) its own PostgreSQL in DATA_DIR.
    env = { ...appProcessEnv({ port, databaseUrl: '', portal, gupshup }), DATA_DIR: dataDir };
    await start();
  });
  afterAll(async () => {
    await stopGracefully();
    for (const p of extra) p.kill('SIGKILL');
    // A server a failed run left behind: stopped, so that it does not outlive the test.
    const lock = readPostmasterLock(pgDir);
    if (lock && processInfo(lock.pid)) {
      process.kill(lock.pid, 'SIGINT');
      await waitFor(() => !processInfo(lock.pid) || processInfo(lock.pid)?.zombie, 30_000, 'postgres');
    }
    await gupshup?.close();
    await portal?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGKILL of the node process mid-stream: the restart stops the orphaned postmaster, every acknowledged message arrives once', async () => {
    const { channel: ch, activateStatus } = await installAndConnect(url, portal, {
      name: 'O',
      appName: 'OomShop',
      sourceNumber: '5491100007000',
      apiKey: 'oom-key-abcdefgh',
    });
    expect(activateStatus).toBe(200);

    const post = (i: number) =>
      postCustomerText(ch.callbackUrl, { appName: 'OomShop', tag: 'oom', phoneBase: 7100 }, i);

    const acked = new Set<number>();
    let orphan: number | undefined;
    for (let i = 0; i < 200; i += 10) {
      const batch = Array.from({ length: 10 }, (_, k) => i + k);
      if (i === 100) {
        const postmaster = readPostmasterLock(pgDir)?.pid;
        const inFlight = batch.map((n) => post(n).then((s) => s === 200 && acked.add(n)));
        await new Promise((r) => setTimeout(r, 3));
        const exited = new Promise((r) => app?.once('exit', r));
        // Only the node process, as the OOM killer does: its PostgreSQL lives on, orphaned.
        app?.kill('SIGKILL');
        await Promise.all(inFlight);
        await exited;
        orphan = postmaster;
        expect(orphan && processInfo(orphan)).toMatchObject({ zombie: false });
        await start();
        continue;
      }
      const statuses = await Promise.all(batch.map(post));
      statuses.forEach((s, k) => s === 200 && acked.add(i + k));
    }
    // The orphan was shut down, and a new server of the same folder took its place.
    expect(orphan).toBeDefined();
    const left = processInfo(orphan as number);
    expect(left === undefined || left.zombie).toBe(true); // gone, or dead and not yet reaped
    expect(readPostmasterLock(pgDir)?.pid).not.toBe(orphan);
    for (let i = 0; i < 200; i++) if (!acked.has(i)) expect(await post(i)).toBe(200);

    await waitFor(() => portal.messages({ author: 'customer' }).length >= 200, 60_000, '200 deliveries');
    await waitFor(
      () =>
        inDatabase(async (db) => {
          const open = await db
            .selectFrom('jobs')
            .select('id')
            .where('topic', 'like', 'inbound.%')
            .where('status', 'in', ['pending', 'running'])
            .execute();
          return open.length === 0;
        }),
      30_000,
      'every inbound job to finish',
    );
    const texts = portal.messages({ author: 'customer' }).map((m) => m.text);
    expect(texts).toHaveLength(200);
    expect(new Set(texts).size).toBe(200);

    // A graceful stop takes its PostgreSQL with it.
    await stopGracefully();
    expect(readPostmasterLock(pgDir)).toBeUndefined();
  }, 120_000);

  it('a kill of the whole process group and an immediate restart: the app waits for the dying server', async () => {
    await start({ detached: true });
    const pid = app?.pid as number;
    const exited = new Promise((r) => app?.once('exit', r));
    process.kill(-pid, 'SIGKILL');
    await exited;
    await start();
    const received = await inDatabase(async (db) =>
      db.selectFrom('messages').select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    );
    expect(Number(received.n)).toBe(200);
    await stopGracefully();
  }, 60_000);

  it('a lock file naming a PID that now belongs to another program is stale: the app starts', async () => {
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    extra.push(other);
    writeFileSync(
      path.join(pgDir, 'postmaster.pid'),
      `${other.pid}\n${pgDir}\n1700000000\n5432\n\n127.0.0.1\n  1 1\nready   \n`,
    );
    await start();
    expect(readPostmasterLock(pgDir)?.pid).not.toBe(other.pid);
    await stopGracefully();
  }, 60_000);

  it('a data folder whose server belongs to a live process: one clear line, exit 1, that server untouched', async () => {
    const running = await startEmbeddedPostgres(dataDir);
    try {
      const port = await freePort();
      const env2 = { ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` };
      const entry = path.resolve('dist/server.mjs'); // built by spawnApp above
      const child = spawn(process.execPath, [entry], { env: env2, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise((r) => child.once('exit', r));
      expect(code).toBe(1);
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/in use by another running process \(PID \d+\)/);
      const { db } = createDatabase(running.url, { max: 1 });
      try {
        const r = await db
          .selectFrom('messages')
          .select(db.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        expect(Number(r.n)).toBe(200);
      } finally {
        await db.destroy();
      }
    } finally {
      await running.stop();
    }
  }, 60_000);
});
