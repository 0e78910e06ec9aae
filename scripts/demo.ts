/**
 * `npm run demo`: the whole product on this machine, no accounts, no database to install.
 * Embedded PostgreSQL + the app + a sandbox Bitrix24 portal + a sandbox Gupshup, all on loopback.
 * Installs the app into the portal, connects a WhatsApp number to an open line and relays a scripted
 * conversation both ways, with the faults real life brings (a duplicated webhook, Bitrix24's rate
 * limit, a Gupshup outage, a number that is not on WhatsApp). Prints the trace and a summary; exits 0
 * only when every message reached the final state it should.
 *
 *   npm run demo             run the script and exit
 *   npm run demo -- --keep   leave everything running and print the URLs
 */
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/shared/db/embedded.js';
import { migrate } from '../src/shared/db/migrate.js';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  STACK_METRICS_TOKEN,
  STACK_OPERATOR_TOKEN,
  startStack,
  waitFor,
  type Stack,
} from './stack.js';
import { templateScene } from './demo/templates.js';
import { billingUsage, BILLING_DEMO_ENV } from './demo/billing-usage.js';
import { paymentsScene } from './demo/payments.js';
import { notificationsScene } from './demo/notifications.js';
import { smsScene } from './demo/sms.js';
import { campaignScene } from './demo/campaigns.js';

const keep = process.argv.includes('--keep');
const tty = process.stdout.isTTY;
const c = (code: number, s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s: string) => c(1, s);
const dim = (s: string) => c(2, s);
const green = (s: string) => c(32, s);
const yellow = (s: string) => c(33, s);
const red = (s: string) => c(31, s);
const say = (s = '') => process.stdout.write(`${s}\n`);

interface Item {
  id: number;
  direction: 'in' | 'out';
  status: string;
  error: { code: string | null; detail: string | null } | null;
  history: Array<{ step: string; level: string; code: string | null; detail: string | null; at: string }>;
}

async function demoDatabase(): Promise<{ url: string; embedded?: EmbeddedDatabase }> {
  let embedded: EmbeddedDatabase | undefined;
  let admin = process.env.DATABASE_URL;
  if (!admin) {
    const dataDir = process.env.DATA_DIR ?? './.data';
    say(dim(`Starting the embedded PostgreSQL in ${path.resolve(dataDir)} …`));
    embedded = await startEmbeddedPostgres(dataDir);
    admin = embedded.url;
  }
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query('DROP DATABASE IF EXISTS wab24_demo WITH (FORCE)');
    await client.query('CREATE DATABASE wab24_demo');
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = '/wab24_demo';
  await migrate(url.toString());
  return { url: url.toString(), ...(embedded ? { embedded } : {}) };
}

async function main(): Promise<number> {
  const started = Date.now();
  say(bold('WhatsAppB24 demo') + dim(' — WhatsApp (Gupshup) ⇄ Bitrix24 Open Channels, on this machine'));
  const db = await demoDatabase();
  const port = process.env.PORT ? Number(process.env.PORT) : undefined;
  const s = await startStack({
    databaseUrl: db.url,
    logLevel: process.env.LOG_LEVEL ?? 'error',
    ...(port ? { port } : {}),
    gupshup: { eventDelayMs: [150, 600], duplicateEvents: 0.25, reorderEvents: true, seed: 42 },
    portal: SAMPLE_PORTAL,
    env: BILLING_DEMO_ENV,
  });
  const shutdown = async () => {
    await s.close();
    await db.embedded?.stop();
  };

  try {
    say(
      `${green('✔')} App on ${s.url}, sandbox portal on ${s.portal.url}, sandbox Gupshup on ${s.gupshup.url}`,
    );
    const token = await installAndToken(s);
    say(
      `${green('✔')} Installed into the portal ${s.portal.domain}: connector registered, events bound, install finished`,
    );
    const ch = await connectChannel(s, token, 1);
    say(
      `${green('✔')} Channel "Tienda 1" (+${ch.sourceNumber}) active on open line 1; Gupshup calls ${dim(ch.callbackUrl.replace(/[^/]+$/, '…'))}`,
    );
    await paymentsScene(s, token, { say, dim });
    const billing = await billingUsage(s, { say, dim });
    await conversation(s, ch.appName);
    await templateScene(s, token, ch, { say, dim, agent: (t) => c(35, t), customer: (t) => c(36, t) });
    const ok = (await report(s, token, started)) && (await billing.report());
    // After the summary, so its counts stay the relay's: the digest goes to staff, not a customer.
    const digest = await notificationsScene(s, token, ch, { say, dim });
    const campaign = await campaignScene(s, token, ch, { say, dim });
    const sms = await smsScene(s, token, ch, { say, dim });
    if (keep) await keepRunning(s, token);
    return ok && digest && campaign && sms ? 0 : 1;
  } finally {
    await shutdown();
  }
}

/** --keep: print where everything is, and leave it running until Ctrl-C. */
async function keepRunning(s: Stack, token: string): Promise<void> {
  say();
  say(bold('Still running (--keep). Ctrl-C to stop.'));
  say(`  App:              ${s.url}   (health: ${s.url}/readyz)`);
  say(
    dim(
      `                    metrics: curl -H 'authorization: Bearer ${STACK_METRICS_TOKEN}' ${s.url}/metrics`,
    ),
  );
  say(
    `  Sandbox portal:   ${bold(s.portal.pageUrl)}   ← open it in a browser: the app framed as in Bitrix24`,
  );
  say(
    dim(
      `                    (?lang=es|en|pt switches the language, ?view=connector&line=2 opens the connector tile)`,
    ),
  );
  s.gupshup.addApp({
    appName: 'NuevaTienda',
    appId: 'demo-app-2',
    apiKey: 'demo-key-2-abcdefgh',
    sourceNumber: '5491100000077',
  });
  say(
    `  A Gupshup app to connect from the page: app name NuevaTienda, App ID demo-app-2, number 5491100000077, API key demo-key-2-abcdefgh`,
  );
  say(
    `  Operator (confirms requested numbers): curl -H 'Authorization: Bearer ${STACK_OPERATOR_TOKEN}' ${s.url}/api/v1/operator/number-requests`,
  );
  say(`  Sandbox Gupshup:  ${s.gupshup.url}`);
  say(`  API token:        ${token}`);
  say(`  Try:              curl -H 'Authorization: Bearer ${token}' ${s.url}/api/v1/messages`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

const MARIA = '5491155550001';
const JORGE = '5491155550002';

type Actors = ReturnType<typeof actors>;

/** The two sides of a chat, each waiting until the other side has the message. */
function actors(s: Stack, appName: string) {
  const customerSees = (phone: string, n: number) =>
    waitFor(() => s.gupshup.sent({ destination: phone }).length >= n, 30_000, `message ${n} to the customer`);
  const agentSees = (phone: string, n: number) =>
    waitFor(
      () => s.portal.messages({ author: 'customer' }).filter((m) => m.externalChatId === phone).length >= n,
      30_000,
      `customer message ${n} in Bitrix24`,
    );
  const customer = async (phone: string, name: string, text: string, n: number, times = 1) => {
    say(`${c(36, '📱 ' + name)}: ${text}${times > 1 ? dim(`   (Gupshup posts it ${times}×)`) : ''}`);
    await s.gupshup.customerSends({ appName, from: phone, name, text, times });
    await agentSees(phone, n);
  };
  const agent = async (phone: string, text: string, n: number) => {
    say(`${c(35, '💼 Agente Ana')}: ${text}`);
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text, userId: 1 });
    await customerSees(phone, n);
  };
  return { customerSees, agentSees, customer, agent };
}

async function conversation(s: Stack, appName: string): Promise<void> {
  const a = actors(s, appName);
  await a.customer(MARIA, 'María López', 'Hola, ¿tienen la zapatilla Runner en talle 40?', 1, 2);
  await a.agent(MARIA, '[b]¡Hola María![/b] Sí, tenemos talle 40 en azul y en negro.', 1);
  say(dim('   ⚡ Bitrix24 answers QUERY_LIMIT_EXCEEDED for 1.5 s'));
  s.portal.outage({ ms: 1_500, status: 503, error: 'QUERY_LIMIT_EXCEEDED' });
  await a.customer(MARIA, 'María López', 'Perfecto, ¿cuánto cuesta el envío a Córdoba?', 2);
  await a.customer(MARIA, 'María López', '¿Y tarda mucho?', 3);
  say(dim('   ⚡ Gupshup answers 503 twice'));
  s.gupshup.failNext({ times: 2, status: 503 });
  await a.agent(MARIA, 'El envío es [i]gratis[/i] y llega en 48 h.', 2);
  await a.customer(MARIA, 'María López', '¡Genial, gracias! 🙌', 4);
  await filesBothWays(s, appName, a);
  await a.customer(JORGE, 'Jorge Díaz', 'Hola', 1);
  say(dim('   ⚡ Gupshup will report 1002: this number is not on WhatsApp any more'));
  s.gupshup.failNextDelivery({
    destination: JORGE,
    code: 1002,
    reason: 'Number Does Not Exist On WhatsApp',
    stage: 'sync',
  });
  await a.agent(JORGE, 'Hola Jorge, ¿en qué te ayudo?', 1);
}

/** María sends a photo (her 5th message), the agent a PDF (his 3rd to her). */
async function filesBothWays(s: Stack, appName: string, a: Actors): Promise<void> {
  say(`${c(36, '📱 María López')}: 🖼️ a photo — "Así son las que tengo"`);
  await s.gupshup.customerSends({
    appName,
    from: MARIA,
    name: 'María López',
    type: 'image',
    text: 'Así son las que tengo',
  });
  await a.agentSees(MARIA, 5);
  say(`${c(35, '💼 Agente Ana')}: 📄 catalogo.pdf — "Te paso el catálogo"`);
  const catalogue = s.portal.addFile({
    name: 'catalogo.pdf',
    contentType: 'application/pdf',
    data: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
  });
  await s.portal.operatorSend({
    line: 1,
    externalChatId: MARIA,
    text: 'Te paso el catálogo',
    files: [catalogue],
    userId: 1,
  });
  await a.customerSees(MARIA, 3);
}

const EXPECTED_FINAL: Record<'in' | 'out', string[]> = { in: ['delivered'], out: ['read'] };
// The template scene (demo/templates.ts) adds 2 customer messages and 3 agent messages: one
// refused before any send because the 24-hour window was closed, then the template and free text.
const CUSTOMER_MESSAGES = 8;
const AGENT_MESSAGES = 6;
const REFUSED_BEFORE_SEND = 1;
/** Failures the script provokes on purpose, each with its reason shown. */
const EXPECTED_FAILURES = new Set(['1002', 'window_closed']);

const settled = (items: Item[]) =>
  items.every((m) =>
    EXPECTED_FAILURES.has(m.error?.code ?? '')
      ? m.status === 'failed'
      : EXPECTED_FINAL[m.direction].includes(m.status),
  );

async function report(s: Stack, token: string, started: number): Promise<boolean> {
  const items = await finalItems(s, token);
  await s.gupshup.settle(5_000).catch(() => undefined);
  printTrace(items);
  return printSummary(s, items, started);
}

/** The message log once every message has settled, or as it stands after 45 s. */
async function finalItems(s: Stack, token: string): Promise<Item[]> {
  const load = async () =>
    (await api<{ items: Item[] }>(s, token, 'GET', '/messages?limit=200')).body.items.reverse();
  let items: Item[] = [];
  try {
    await waitFor(async () => settled((items = await load())), 45_000, 'final statuses');
  } catch {
    items = await load();
  }
  return items;
}

function printTrace(items: Item[]): void {
  say();
  say(bold('Trace') + dim(' (GET /api/v1/messages: every step of every message, no message text)'));
  const t0 = items.length
    ? Math.min(...items.flatMap((m) => m.history.map((h) => Date.parse(h.at))))
    : Date.now();
  for (const m of items) {
    const arrow = m.direction === 'in' ? 'WhatsApp → Bitrix24' : 'Bitrix24 → WhatsApp';
    say(`  ${bold(`#${m.id}`)} ${arrow}  ${statusColor(m.status)}`);
    for (const h of m.history) {
      const at = `+${((Date.parse(h.at) - t0) / 1000).toFixed(2)}s`.padStart(8);
      const lvl =
        h.level === 'ERROR'
          ? red(h.level)
          : h.level === 'WARN'
            ? yellow(h.level.padEnd(5))
            : dim(h.level.padEnd(5));
      say(
        `      ${dim(at)} ${lvl} ${h.step}${h.code ? ` [${h.code}]` : ''}${h.detail ? dim(`  ${h.detail}`) : ''}`,
      );
    }
  }
}

/** What each side holds against what the script sent; true when nothing was lost or doubled. */
function tally(s: Stack, items: Item[]) {
  const inbound = items.filter((m) => m.direction === 'in');
  const outbound = items.filter((m) => m.direction === 'out');
  const bitrixCustomer = s.portal.messages({ author: 'customer' }).length;
  const waSent = s.gupshup.sent().length;
  // Files: the portal downloaded the customer's photo from our signed link, Gupshup fetched the PDF.
  const portalGot = s.portal
    .messages({ author: 'customer' })
    .flatMap((m) => m.files)
    .filter((f) => f.download?.status === 200).length;
  const gupshupGot = s.gupshup.sent().filter((m) => m.media?.status === 200).length;
  const lost = CUSTOMER_MESSAGES - bitrixCustomer + (AGENT_MESSAGES - Math.min(waSent, AGENT_MESSAGES));
  const twice = Math.max(0, bitrixCustomer - CUSTOMER_MESSAGES) + Math.max(0, waSent - AGENT_MESSAGES);
  const ok =
    settled(items) &&
    inbound.length === CUSTOMER_MESSAGES &&
    outbound.length === AGENT_MESSAGES + REFUSED_BEFORE_SEND &&
    lost === 0 &&
    twice === 0 &&
    portalGot === 1 &&
    gupshupGot === 1;
  return { inbound, outbound, bitrixCustomer, waSent, portalGot, gupshupGot, lost, twice, ok };
}

function printSummary(s: Stack, items: Item[], started: number): boolean {
  const { inbound, outbound, bitrixCustomer, waSent, portalGot, gupshupGot, lost, twice, ok } = tally(
    s,
    items,
  );
  say();
  say(bold('Summary'));
  say(
    `  Customer → agent: ${inbound.length} messages, ${inbound.filter((m) => m.status === 'delivered').length} delivered to Bitrix24 (Bitrix24 holds ${bitrixCustomer}; the duplicate webhook was ignored)`,
  );
  say(
    `  Agent → customer: ${outbound.length} messages, ${outbound.filter((m) => m.status === 'read').length} read, ${outbound.filter((m) => m.status === 'failed').length} failed with its reason shown (Gupshup accepted ${waSent} sends)`,
  );
  say(
    `  Files: the customer's photo re-hosted and downloaded by Bitrix24 (${portalGot}/1), the agent's PDF re-hosted and fetched by Gupshup (${gupshupGot}/1)`,
  );
  const retries = items.flatMap((m) => m.history).filter((h) => h.step === 'retry_scheduled').length;
  say(`  Upstream faults ridden out with ${retries} retries: ${lost} lost, ${twice} delivered twice`);
  say(
    `  ${ok ? green('✔ Every message reached its final state') : red('✘ Some messages did not reach their final state')} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return ok;
}

function statusColor(s: string): string {
  if (s === 'read' || s === 'delivered') return green(s);
  if (s === 'failed' || s === 'dead') return red(s);
  return yellow(s);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`Demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
