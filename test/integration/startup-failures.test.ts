import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_APP_SECRET } from '../../scripts/stack.js';
import { freePort } from '../../src/shared/db/embedded.js';

/**
 * `src/server.ts` run as the process entry, with environments an operator might well write: each
 * wrong one stops start-up with exactly one line on stderr that says what to fix, and exit code 1.
 * Run from an empty folder (no `.env` is read) through tsx, as `npm run dev` runs it.
 */
const cwd = mkdtempSync(path.join(os.tmpdir(), 'wab24-startup-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', path.resolve('node_modules/tsx/dist/loader.mjs'), path.resolve('src/server.ts')],
    {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATA_DIR: path.join(cwd, 'data'),
        APP_SECRET: STACK_APP_SECRET,
        B24_CLIENT_ID: 'local.startup.1',
        B24_CLIENT_SECRET: 'startup-secret',
        LOG_LEVEL: 'silent',
        ...env,
      },
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A start-up that wrongly succeeds is stopped (SIGTERM stops its PostgreSQL too) and fails the test.
  const timer = setTimeout(() => child.kill('SIGTERM'), 30_000);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  return { code, stderr };
}

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines, stderr).toHaveLength(1);
  return lines[0] as string;
}

describe('start-up failures: one line on stderr, exit 1', () => {
  it('an unreachable DATABASE_URL names DATABASE_URL, the host and the cause, never the password', async () => {
    const r = await start({ DATABASE_URL: 'postgres://u:s3cr3tpw@127.0.0.1:1/db' });
    expect(r.code).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toContain('DATABASE_URL');
    expect(line).toContain('127.0.0.1:1');
    expect(line).toMatch(/ECONNREFUSED/);
    expect(line).not.toContain('s3cr3tpw');
  });

  it('a DATABASE_URL that is not a PostgreSQL URL is refused before anything is contacted', async () => {
    const r = await start({ DATABASE_URL: 'http://example.com' });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
  });

  it('a PUBLIC_URL without a scheme is refused', async () => {
    const r = await start({ PUBLIC_URL: 'localhost:3000' });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/PUBLIC_URL: must be an absolute http\(s\) URL/);
  });

  it('several problems at once: still one line naming each, and where to look', async () => {
    const r = await start({ PUBLIC_URL: '', APP_SECRET: 'short', PORT: 'eighty' });
    expect(r.code).toBe(1);
    const line = oneLine(r.stderr);
    for (const part of ['PUBLIC_URL: is required', 'APP_SECRET', 'PORT', '.env.example']) {
      expect(line).toContain(part);
    }
  });
});
