// The machine's ceiling for durable webhook acceptance, run by scripts/bench/ceiling.ts as its own
// process like the app: a bare Fastify route that parses the JSON body and durably inserts one row
// with a unique key per request (ON CONFLICT DO NOTHING) into the same PostgreSQL, with the same
// pool size as the app (DB_POOL_MAX), then answers. Nothing else: no auth, no validation, no job, no trace.
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_MAX ?? 10),
});
await pool.query(
  'CREATE TABLE IF NOT EXISTS bench_ingest_ceiling (key text PRIMARY KEY, body jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now())',
);
const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
app.post('/ceiling', async (req, reply) => {
  const body = req.body;
  await pool.query({
    name: 'ceiling_insert',
    text: 'INSERT INTO bench_ingest_ceiling (key, body) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
    values: [String(body?.payload?.id ?? ''), JSON.stringify(body)],
  });
  return reply.status(200).send('');
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
