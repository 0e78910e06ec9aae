import type { FastifyPluginAsync } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../../config.js';
import { staticBearer } from '../../shared/bearer.js';
import type { HealthRepository } from './health.repository.js';

export interface HealthRoutesOptions {
  repo: HealthRepository;
  /** The worker's heartbeat (jobs/worker.ts). */
  worker: { readonly running: boolean; readonly lastTickAt: Date | undefined };
  config: Pick<Config, 'worker' | 'metricsToken'>;
}

const hidden = { schema: { hide: true } };
/**
 * Probes arrive every few seconds from each orchestrator and load balancer: their request lines
 * ("incoming request", "request completed") stay out of the info log, which is for traffic. A probe
 * that finds the app not ready still logs, at warn.
 */
const probe = { ...hidden, logLevel: 'warn' } as const;

/** The process's figures and the queue's, for Prometheus. */
function metrics(repo: HealthRepository) {
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
      for (const r of await repo.jobCounts()) this.set({ topic: r.topic, status: r.status }, Number(r.n));
    },
  });
  return { registry, requests };
}

/** Liveness, readiness (database answers, worker ticking) and Prometheus metrics (with METRICS_TOKEN). */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, o) => {
  const { registry, requests } = metrics(o.repo);
  app.addHook('onResponse', async (req, reply) => {
    requests.inc({ route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });

  app.get('/healthz', probe, async () => ({ status: 'ok' }));
  app.get('/readyz', probe, async (req, reply) => {
    const checks: Record<string, string> = {};
    checks.database = (await o.repo.ping()) ? 'ok' : 'unreachable';
    const w = o.worker;
    const stale = w.lastTickAt
      ? Date.now() - w.lastTickAt.getTime() > Math.max(30_000, o.config.worker.pollMs * 20)
      : true;
    checks.worker = !o.config.worker.enabled ? 'disabled' : w.running && !stale ? 'ok' : 'not running';
    const ready = checks.database === 'ok' && checks.worker !== 'not running';
    if (!ready) req.log.warn({ checks }, 'Not ready.');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  // Opt-in (METRICS_TOKEN): the figures name routes, queues and process internals.
  app.get(
    '/metrics',
    { ...hidden, onRequest: staticBearer(o.config.metricsToken, 'Metrics token') },
    async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
};
