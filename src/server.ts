import { existsSync } from 'node:fs';
import { inspect } from 'node:util';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createDeps } from './composition-root.js';
import { ConfigError, configWarnings, loadConfig, type Config } from './config.js';
import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedDatabase } from './shared/db/embedded.js';
import { appLoginPassword, appLoginUrl, isSuperuser } from './shared/db/app-role.js';
import { migrate } from './shared/db/migrate.js';
import { assertDatabaseReachable, DatabaseUnreachableError } from './shared/db/reachable.js';
import { createLogger } from './shared/logger.js';

/**
 * Process entry: config → database (embedded when DATABASE_URL is empty) → migrations (as the owner,
 * DATABASE_MIGRATION_URL when set) → app (as its own role on the embedded database) → worker.
 * SIGINT/SIGTERM close the HTTP server, let jobs in hand finish, stop the embedded database.
 * A start-up that fails stops what it had started (the embedded database above all: left running,
 * it would hold its folder) and throws; run as the process entry, that is one line on stderr and exit 1.
 */
export async function startServer(
  env: Record<string, string | undefined> = process.env,
): Promise<{ url: string; stop: () => Promise<void> }> {
  let config: Config = loadConfig(env);
  const log = createLogger(config.logLevel);
  for (const w of configWarnings(config)) log.warn(w);
  let embedded: EmbeddedDatabase | undefined;
  let app: FastifyInstance | undefined;
  try {
    if (!config.databaseUrl) {
      embedded = await startEmbeddedPostgres(config.dataDir, {
        log: (l) => log.debug({ component: 'postgres' }, l),
        warn: (l) => log.warn({ component: 'postgres' }, l),
      });
      log.info({ dataDir: config.dataDir }, 'Embedded PostgreSQL started.');
      await migrated(embedded.url, log);
      // Our own cluster: the app connects as its limited role, not as the cluster's superuser.
      config = {
        ...config,
        databaseUrl: await appLoginUrl(embedded.url, appLoginPassword(config.appSecret)),
      };
    } else {
      await assertDatabaseReachable(config.databaseUrl);
      if (config.migrationDatabaseUrl) await assertDatabaseReachable(config.migrationDatabaseUrl);
      await migrated(config.migrationDatabaseUrl ?? config.databaseUrl, log);
      if (await isSuperuser(config.databaseUrl)) {
        log.warn(
          'DATABASE_URL connects as a superuser, which no ledger rule binds: give the app its own role (docs/billing.md).',
        );
      }
    }
    const deps = createDeps(config, { log });
    app = await buildApp(deps);
    const url = await app.listen({ port: config.port, host: config.host });
    if (config.worker.enabled) {
      deps.worker.start();
      // The periodic template sync's chain (one schedule job per period, whichever instance starts it).
      await deps.templates.schedulePeriodicSync();
      // The digests' tick chain (scheduled notifications), likewise one tick job per slot.
      await deps.digests.scheduleTicks();
      // The CRM events' reconciliation chain (and the re-bind of older portals' events), likewise.
      await deps.crmEvents.schedule();
    }
    log.info({ url, publicUrl: config.publicUrl }, 'WhatsAppB24 is ready.');
    const running = app;
    const stop = async () => {
      await running.close();
      await embedded?.stop();
    };
    return { url, stop };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

async function migrated(url: string, log: ReturnType<typeof createLogger>): Promise<void> {
  const applied = await migrate(url);
  if (applied.length) log.info({ applied }, 'Migrations applied.');
}

/** The one line a failed start-up prints: what went wrong and, where it helps, what to do. */
export function startupFailureLine(err: unknown): string {
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
  if (
    err instanceof ConfigError ||
    err instanceof EmbeddedPostgresError ||
    err instanceof DatabaseUnreachableError
  ) {
    return oneLine(err.message);
  }
  if (err instanceof Error) return oneLine(`Start-up failed: ${err.message || err.name}`);
  // Not an Error (a library rejecting with a bare value): described, never printed as `undefined`.
  return `Start-up failed: ${err === undefined ? 'unknown error' : oneLine(inspect(err, { breakLength: Infinity }))}`;
}

const isMain =
  process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (isMain) {
  try {
    // A .env file beside the project is read into the environment when there is one.
    if (existsSync('.env')) process.loadEnvFile('.env');
    const { stop } = await startServer();
    closeWithGrace({ delay: 15_000 }, async ({ err }) => {
      if (err) process.stderr.write(`Shutting down after an error: ${String(err)}\n`);
      await stop();
    });
  } catch (err) {
    process.stderr.write(`${startupFailureLine(err)}\n`);
    process.exit(1);
  }
}
