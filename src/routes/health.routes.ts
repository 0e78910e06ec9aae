import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Deps } from '../composition-root.js';
import { staticBearer } from '../shared/bearer.js';

/** Liveness, readiness (database answers, worker ticking) and Prometheus metrics (with METRICS_TOKEN). */
export const healthRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'whatsappb24_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  new Gauge({
    name: 'whatsappb24_jobs',
    help: 'Jobs by topic and status (open and dead only)',
    labelNames: ['topic', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await deps.db
        .selectFrom('jobs')
        .select(['topic', 'status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('status', 'in', ['pending', 'running', 'dead'])
        .groupBy(['topic', 'status'])
        .execute();
      for (const r of rows) this.set({ topic: r.topic, status: r.status }, Number(r.n));
    },
  });
  app.addHook('onResponse', async (req, reply) => {
    requests.inc({ route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, string> = {};
    try {
      await sql`SELECT 1`.execute(deps.db);
      checks.database = 'ok';
    } catch {
      checks.database = 'unreachable';
    }
    const w = deps.worker;
    const stale = w.lastTickAt
      ? Date.now() - w.lastTickAt.getTime() > Math.max(30_000, deps.config.worker.pollMs * 20)
      : true;
    checks.worker = !deps.config.worker.enabled ? 'disabled' : w.running && !stale ? 'ok' : 'not running';
    const ready = checks.database === 'ok' && checks.worker !== 'not running';
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  // Opt-in (METRICS_TOKEN): the figures name routes, queues and process internals.
  app.get(
    '/metrics',
    { onRequest: staticBearer(deps.config.metricsToken, 'Metrics token') },
    async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
};
