import { createHash } from 'node:crypto';
import path from 'node:path';
import { build, stop } from 'esbuild';
import { ROOT_DIR } from '../../shared/paths.js';

/**
 * The pages' browser script: ui/main.ts and the Bitrix24 SDK bundled by esbuild into one minified
 * file, built in this process when the server starts (a fraction of a second; nothing to run first,
 * whether the server runs through tsx or from dist/), and served at SCRIPT_PATH with its content hash.
 */

export const SCRIPT_PATH = '/ui/app.js';

export interface PagesScript {
  code: Buffer;
  /** sha256 of the code, 16 hex digits: the ETag and the `?v=` of the URL the pages load. */
  hash: string;
  /** SCRIPT_PATH?v=<hash>: a new build is a new URL, so the script can be cached for good. */
  url: string;
}

const ENTRY = path.join(ROOT_DIR, 'src', 'modules', 'pages', 'ui', 'main.ts');

let built: Promise<PagesScript> | undefined;

/** The script, built once per process. */
export function pagesScript(): Promise<PagesScript> {
  built ??= buildScript();
  return built;
}

async function buildScript(): Promise<PagesScript> {
  try {
    const out = await build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      logLevel: 'silent',
      absWorkingDir: ROOT_DIR,
    });
    const file = out.outputFiles[0];
    if (!file) throw new Error('esbuild gave no output for the pages script');
    const code = Buffer.from(file.contents);
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    return { code, hash, url: `${SCRIPT_PATH}?v=${hash}` };
  } finally {
    // esbuild keeps a helper process (~40 MB) for later builds; the server makes no other. It starts
    // a new one if anything in this process builds again (the tests' scripts/build.ts).
    await stop();
  }
}
