import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** `npm run demo` itself, as a user runs it: embedded PostgreSQL in a fresh folder, exit code 0. */
describe('npm run demo', () => {
  it('relays the scripted conversation and exits 0 with every message in its final state', async () => {
    const dataDir = await mkdtemp(path.resolve('test/.tmp/demo-'));
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    delete env.PORT;
    try {
      const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (c) => resolve({ code: c, out }));
      });
      expect(out).toContain('Every message reached its final state');
      expect(out).toMatch(/8 delivered to Bitrix24/);
      // The template scene: refused free text, then the approved template reopens the conversation.
      expect(out).toMatch(/window_closed \[window_closed\]/);
      expect(out).toMatch(/received {2}template pedido_listo \(es\) via chat/);
      expect(out).toMatch(/Agent → customer: 7 messages, 5 read, 2 failed/);
      expect(out).toMatch(/downloaded by Bitrix24 \(1\/1\).*fetched by Gupshup \(1\/1\)/);
      expect(out).toMatch(/0 lost, 0 delivered twice/);
      expect(out).toMatch(/status_failed \[1002\]/);
      // The payments scene: a pack bought with Stripe and one with PayPal, each credited once.
      expect(out).toMatch(/Balance: 2000 messages available, 0 reserved, 0 owed/);
      // The scheduled notifications scene: one digest after two deals reach the stage, then none.
      expect(out).toMatch(/Digest tick: 1 digest → Hay 2 aprobaciones nuevas: SIRA 1, SIRA 2\./);
      expect(out).toMatch(/Next tick, nothing changed: 0 digests/);
      // The campaign scene: a CSV with one bad line, three sent once, one reply routed, the funnel.
      expect(out).toMatch(/from a CSV of 4 customers → 3 ready, 1 rejected/);
      expect(out).toMatch(/Rejected, line 4 \(«12345»\)/);
      expect(out).toMatch(/de la campaña «Recordatorio de turnos»/);
      expect(out).toMatch(/Funnel: queued 3 → sent 3 → delivered 3 → read 3 → replied 1; failed 0/);
      expect(out).toMatch(/Each good row sent once: yes/);
      // The SMS scene: a CRM card's SMS delivered, a template not on WhatsApp sent as SMS.
      expect(out).toMatch(/Bitrix24 status: sent → delivered/);
      expect(out).toMatch(/1002 \(not on WhatsApp\) → sent as SMS #\d+ → delivered/);
      // No message text in the trace section.
      expect(out.slice(out.indexOf('Trace'))).not.toContain('zapatilla');
      expect(out.slice(out.indexOf('Trace'))).not.toContain('R-40');
      expect(code).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
