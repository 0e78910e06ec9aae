/**
 * `npm run build`: the server as one ES module, dist/server.mjs, for `npm start`. Only our own code is
 * bundled (packages stay in node_modules); running plain JavaScript spares the process tsx's loader
 * thread, about 30 MB of its memory. The bench and the SIGKILL test run this bundle as their app process
 * (scripts/stack.ts spawnApp); the demo and in-process tests load the TypeScript through tsx.
 */
import { build } from 'esbuild';

export const SERVER_BUNDLE = 'dist/server.mjs';

/** Bundles the server into `outfile` (another path: a test's copy of the image's files). */
export async function buildServer(outfile = SERVER_BUNDLE): Promise<string> {
  await build({
    entryPoints: ['src/server.ts'],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    // Stack traces need only the mappings and the file names: the sources' text (1.4 MB, held in the
    // heap by --enable-source-maps) would only show the failing line on an uncaught exception.
    sourcesContent: false,
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1]?.endsWith('build.ts')) {
  await buildServer();
  process.stdout.write(`Built ${SERVER_BUNDLE}\n`);
}
