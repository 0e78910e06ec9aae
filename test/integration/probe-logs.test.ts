import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack.js';
import { loggerOptions } from '../../src/shared/logger.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 10: liveness and readiness probes come every few seconds from every orchestrator and load
 * balancer; the info log is for traffic. Probes write nothing there, other requests still do.
 */
interface Line {
  msg?: string;
  level?: number;
  reqId?: string;
  req?: { url?: string };
}

/** A logger at info whose lines land in `lines`. */
function capture(): { lines: Line[]; log: pino.Logger } {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Line);
      cb();
    },
  });
  return { lines, log: pino(loggerOptions('info'), sink) };
}

describe('probes and the info log', () => {
  const { lines, log } = capture();
  const s = useStack({ logLevel: 'info', overrides: { log } });

  it('/healthz and /readyz write no line at info; an API request still writes its own', async () => {
    for (const path of ['/healthz', '/readyz', '/healthz', '/readyz']) {
      expect((await fetch(`${s.url}${path}`)).status).toBe(200);
    }
    const res = await fetch(`${s.url}/api/v1/portal`);
    expect(res.status).toBe(401);
    const { error } = (await res.json()) as { error: { requestId: string } };
    // The API request's last line is written after the probes' would have been.
    await waitFor(
      () => lines.some((l) => l.reqId === error.requestId && l.msg === 'request completed'),
      10_000,
      'the API request in the log',
    );
    const perRequest = lines.filter((l) => l.reqId !== undefined);
    expect(perRequest.find((l) => l.req?.url === '/api/v1/portal')).toBeDefined();
    expect(perRequest.filter((l) => l.reqId !== error.requestId)).toEqual([]);
  });
});

describe('a probe that finds the app not ready', () => {
  const { lines, log } = capture();
  // The worker is enabled but never started: readiness fails.
  const s = useStack({ logLevel: 'info', worker: false, overrides: { log } });

  it('is logged at warn with what is wrong', async () => {
    const res = await fetch(`${s.url}/readyz`);
    expect(res.status).toBe(503);
    const warn = await waitFor(() => lines.find((l) => l.msg === 'Not ready.'), 10_000, 'the warning');
    expect(warn).toMatchObject({ level: 40, checks: { database: 'ok', worker: 'not running' } });
  });
});
