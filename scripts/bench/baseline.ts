/**
 * Phase 1's baseline, in the same run: what connectors without a queue do — relay to Bitrix24 inside
 * the webhook, then answer — against the same rate-limited sandbox portal.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import type { SandboxPortal } from '../sandbox/portal/index.js';
import { CONNECTIONS, N, RequestSpan, say } from './common.js';

/** The naive connector: a webhook handler that answers once its imconnector call has returned. */
function naiveConnector(portalUrl: string, accessToken: string): { server: Server; refused: () => number } {
  let refused = 0;
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      const payload = JSON.parse(data) as { payload: { id: string; sender: { phone: string } } };
      void fetch(`${portalUrl}/rest/imconnector.send.messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          auth: accessToken,
          CONNECTOR: 'whatsappb24_gupshup',
          LINE: 1,
          MESSAGES: [
            {
              user: { id: payload.payload.sender.phone },
              message: { id: payload.payload.id, text: 'hola' },
              chat: { id: payload.payload.sender.phone },
            },
          ],
        }),
      })
        .then(async (r) => {
          if (!r.ok) refused++;
          await r.text();
        })
        .catch(() => refused++)
        .finally(() => res.end());
    });
  });
  return { server, refused: () => refused };
}

async function naiveBaseline(portalUrl: string, accessToken: string, n: number) {
  const naive = naiveConnector(portalUrl, accessToken);
  const srv = naive.server;
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  let seq = 0;
  const span = new RequestSpan();
  const res = await autocannon({
    url: `http://127.0.0.1:${port}/`,
    method: 'POST',
    connections: CONNECTIONS,
    amount: n,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => {
          span.started();
          seq++;
          const phone = `54933${String(seq).padStart(8, '0')}`;
          return {
            ...req,
            body: JSON.stringify({
              type: 'message',
              payload: { id: `wamid.base.${seq}`, sender: { phone } },
            }),
          };
        },
        onResponse: () => span.answered(),
      },
    ],
  });
  await new Promise<void>((r) => srv.close(() => r()));
  return {
    rps: span.perSecond(res),
    p50: res.latency.p50,
    p99: res.latency.p99,
    refused: naive.refused(),
    total: n,
  };
}

export type BaselineResult = Awaited<ReturnType<typeof naiveBaseline>>;

export async function inboundBaseline(portal: SandboxPortal): Promise<BaselineResult> {
  say(`\n   Baseline: a naive connector that calls Bitrix24 before answering (rate limit 2/s, burst 50) …`);
  const baseline = await naiveBaseline(
    portal.url,
    portal.issueTokens({ userId: 1 }).accessToken,
    Math.min(400, N),
  );
  say(
    `   accepted ${baseline.rps.toFixed(1)}/s, p50 ${baseline.p50} ms, p99 ${baseline.p99} ms, refused by Bitrix24 ${baseline.refused} of ${baseline.total} (lost: answered without delivering)`,
  );
  return baseline;
}
