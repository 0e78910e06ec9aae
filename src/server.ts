import { existsSync } from 'node:fs';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { createDeps } from './composition-root.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './shared/db/embedded.js';
import { migrate } from './shared/db/migrate.js';
import { createLogger } from './shared/logger.js';

/**
 * Process entry: config → database (embedded when DATABASE_URL is empty) → migrations → app → worker.
 * SIGINT/SIGTERM close the HTTP server, let jobs in hand finish, stop the embedded database.
 */
export async function startServer(
  env: Record<string, string | undefined> = process.env,
): Promise<{ url: string; stop: () => Promise<void> }> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = await startEmbeddedPostgres(config.dataDir, {
      log: (l) => log.debug({ component: 'postgres' }, l),
    });
    config = { ...config, databaseUrl: embedded.url };
    log.info({ dataDir: config.dataDir }, 'Embedded PostgreSQL started.');
  }
  const applied = await migrate(config.databaseUrl as string);
  if (applied.length) log.info({ applied }, 'Migrations applied.');
  const deps = createDeps(config, { log });
  const app = await buildApp(deps);
  const url = await app.listen({ port: config.port, host: config.host });
  if (config.worker.enabled) deps.worker.start();
  log.info({ url, publicUrl: config.publicUrl }, 'WhatsAppB24 is ready.');
  const stop = async () => {
    await app.close();
    await embedded?.stop();
  };
  return { url, stop };
}

const isMain =
  process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (isMain) {
  // A .env file beside the project is read into the environment when there is one.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const { stop } = await startServer();
  closeWithGrace({ delay: 15_000 }, async ({ err }) => {
    if (err) process.stderr.write(`Shutting down after an error: ${String(err)}\n`);
    await stop();
  });
}
