import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, SERVER_BUNDLE } from '../../scripts/build.js';
import { STACK_APP_SECRET, waitFor } from '../../scripts/stack.js';
import { freePort } from '../../src/shared/db/embedded.js';
import { createTestDatabase } from '../helpers/db.js';
import { readDockerfile, ROOT, type Copy } from '../helpers/dockerfile.js';

/**
 * The container image's running stage without Docker (none here): its files laid out as the
 * Dockerfile's COPY lines put them, the production dependencies only (what `npm ci --omit=dev`
 * installs, from package-lock.json), and the server started by the image's CMD with the image's ENV.
 * It must get ready on PostgreSQL and serve the pages' script, which it bundles at start from the
 * sources the image carries (esbuild is a production dependency).
 */

const final = readDockerfile().at(-1)!;

/** `npm ci --omit=dev`'s top-level packages, linked to the installed ones. */
async function productionModules(dir: string): Promise<void> {
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  for (const [key, meta] of Object.entries(lock.packages)) {
    const name = key.startsWith('node_modules/') ? key.slice('node_modules/'.length) : '';
    if (!name || name.includes('/node_modules/') || meta.dev) continue;
    const installed = path.join(ROOT, 'node_modules', name);
    if (!existsSync(installed)) continue; // an optional package of another platform
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await symlink(installed, path.join(dir, name), 'dir');
  }
}

/** One COPY of the running stage into `app` (the image's WORKDIR). */
async function copyInto(app: string, c: Copy): Promise<void> {
  const into = (source: string) =>
    c.dest.endsWith('/') || c.sources.length > 1
      ? path.join(app, c.dest, path.basename(source))
      : path.join(app, c.dest);
  for (const source of c.sources) {
    if (!c.from) await cp(path.join(ROOT, source), into(source), { recursive: true });
    else if (source === '/app/node_modules') await productionModules(into(source));
    else if (source === '/app/dist') {
      // What `npm run build` writes (dist/server.mjs and its map), built straight into the copy.
      await buildServer(path.join(into(source), path.basename(SERVER_BUNDLE)));
    } else throw new Error(`the test does not know what stage ${c.from} makes at ${source}`);
  }
}

describe('the container image, run from its files', () => {
  let app: string;
  let server: ChildProcess | undefined;
  let drop: (() => Promise<void>) | undefined;
  let url: string;
  let output = '';

  beforeAll(async () => {
    app = await mkdtemp(path.join(tmpdir(), 'wab24-image-'));
    for (const c of final.copies) await copyInto(app, c);
    const db = await createTestDatabase();
    drop = db.drop;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, final.cmd!.slice(1), {
      cwd: app,
      // The image's environment and what an operator adds; nothing inherited from this process.
      env: {
        PATH: process.env.PATH,
        ...final.env,
        DATA_DIR: path.join(app, 'data'),
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: url,
        DATABASE_URL: db.url,
        APP_SECRET: STACK_APP_SECRET,
        B24_CLIENT_ID: 'local.image.test',
        B24_CLIENT_SECRET: 'image-test-secret',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(
      () =>
        server?.exitCode === null
          ? fetch(`${url}/readyz`)
              .then((r) => r.ok)
              .catch(() => false)
          : Promise.reject(new Error(`the server exited ${server?.exitCode}:\n${output}`)),
      30_000,
      'the server from the image files to be ready',
    );
  });
  afterAll(async () => {
    if (server?.exitCode === null) server.kill('SIGKILL');
    await drop?.();
    await rm(app, { recursive: true, force: true });
  });

  it('gets ready on PostgreSQL with only the production dependencies', async () => {
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    // /readyz answers once the server listens; the line follows once the worker's periodic chains
    // (template sync, digests, CRM reconciliation) are scheduled, a moment later on a busy machine.
    await waitFor(() => output.includes('WhatsAppB24 is ready.'), 20_000, 'the ready line');
    expect(output).not.toMatch(/"level":(50|60)/);
  });

  it("serves the pages' script it bundled at start from the sources the image carries", async () => {
    const res = await fetch(`${url}/ui/app.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect((await res.text()).length).toBeGreaterThan(10_000);
  });

  it('stops cleanly on SIGTERM, as `docker stop` sends it', async () => {
    const exited = once(server!, 'exit');
    server!.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});
