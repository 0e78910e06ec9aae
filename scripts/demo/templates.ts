/**
 * The demo's template scene (issue 11): the admin creates a template, the sandbox Gupshup approves
 * it, the admin assigns it to the open line; a customer who last wrote 25 hours ago gets a free-text
 * reply refused (the 24-hour window is closed) with the line's templates offered in the chat; the
 * agent sends the template from the picker's API; the customer answers and free text flows again.
 */
import { api, frontendAuth, waitFor, type Stack } from '../stack.js';

export const LUCIA = '5491155550303';
const DAY_MS = 24 * 60 * 60 * 1000;

interface Say {
  say: (s?: string) => void;
  dim: (s: string) => string;
  agent: (s: string) => string;
  customer: (s: string) => string;
}

interface TemplateView {
  id: string;
  status: string;
  statusReason: string | null;
}

/** A page's API call as portal user `userId` (the agent in the chat). */
async function asAgent<T>(s: Stack, userId: number, method: string, path: string, body?: unknown) {
  const auth = new URLSearchParams(await frontendAuth(s, userId)).toString();
  const r = await fetch(`${s.url}/api/v1${path}`, {
    method,
    headers: { 'x-b24-auth': auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Asks for a template (the sandbox Gupshup reviews it) and waits until it is approved. */
export async function requestApproved(
  s: Stack,
  token: string,
  draft: Record<string, unknown>,
  onCreated?: (status: string) => void,
): Promise<TemplateView> {
  const created = await api<TemplateView>(s, token, 'POST', '/templates', draft);
  if (created.status !== 201) throw new Error(`template not created: ${JSON.stringify(created.body)}`);
  onCreated?.(created.body.status);
  return waitFor(
    async () => {
      const t = await api<TemplateView>(s, token, 'GET', `/templates/${created.body.id}`);
      return t.body.status === 'approved' ? t.body : undefined;
    },
    30_000,
    `approval of ${String(draft.elementName)}`,
  );
}

async function createApproved(s: Stack, token: string, channelId: string, p: Say): Promise<TemplateView> {
  const draft = {
    channelId,
    elementName: 'pedido_listo',
    displayName: 'Pedido listo',
    language: 'es',
    category: 'UTILITY',
    type: 'TEXT',
    body: 'Hola {{1}}, su pedido {{2}} está listo para retirar.',
    footer: 'Tienda Runner',
    buttons: [{ type: 'QUICK_REPLY', text: 'Lo paso a buscar' }],
    params: [
      { name: 'nombre', example: 'Ana' },
      { name: 'pedido', example: 'B-12' },
    ],
  };
  const approved = await requestApproved(s, token, draft, (status) =>
    p.say(`🧾 Admin creates the template «Pedido listo» (UTILITY, es) → ${status}`),
  );
  p.say(p.dim('   Gupshup (sandbox) reviews it and sends a template-event: approved'));
  const lines = await api(s, token, 'PUT', `/templates/${approved.id}/lines`, { lineIds: [1] });
  if (lines.status !== 200) throw new Error(`template not assigned: ${JSON.stringify(lines.body)}`);
  p.say(p.dim('   Assigned to open line 1: its agents are offered it'));
  return approved;
}

/** Runs the scene; adds 2 customer messages and 3 agent messages (1 refused, 2 sent). */
export async function templateScene(
  s: Stack,
  token: string,
  ch: { id: string; appName: string },
  p: Say,
): Promise<void> {
  p.say();
  const t = await createApproved(s, token, ch.id, p);
  const wrote = Date.now() - DAY_MS - 60 * 60 * 1000;
  p.say(`${p.customer('📱 Lucía Fernández')}: ¿Ya llegó mi pedido? ${p.dim('(25 hours ago)')}`);
  await s.gupshup.customerSends({
    appName: ch.appName,
    from: LUCIA,
    name: 'Lucía Fernández',
    text: '¿Ya llegó mi pedido?',
    timestamp: wrote,
  });
  const first = await waitFor(
    () => s.portal.messages({ author: 'customer' }).find((m) => m.externalChatId === LUCIA),
    30_000,
    'Lucía in Bitrix24',
  );
  // The app knows the chat once it is assigned; then the agent answers.
  await waitFor(
    async () =>
      (await asAgent<{ chat: unknown }>(s, 1, 'GET', `/chats/${first.chatId}/templates`)).status === 200,
    30_000,
    'chat known',
  );
  p.say(`${p.agent('💼 Agente Ana')}: ¡Hola Lucía! Sí, ya llegó.`);
  await s.portal.operatorSend({
    line: 1,
    externalChatId: LUCIA,
    text: '¡Hola Lucía! Sí, ya llegó.',
    userId: 1,
  });
  p.say(p.dim('   The app refuses it before any send, and writes in the chat:'));
  const note = await waitFor(
    () => s.portal.chatLines(first.chatId).find((l) => l.system && l.text.startsWith('⚠️ WhatsApp:')),
    30_000,
    'window-closed note',
  );
  for (const line of note.text.split('\n')) p.say(p.dim(`   │ ${line}`));
  const sent = await asAgent<{ messageId: number }>(s, 1, 'POST', `/chats/${first.chatId}/templates/send`, {
    templateId: t.id,
    params: { nombre: 'Lucía', pedido: 'R-40' },
  });
  if (sent.status !== 202) throw new Error(`template not sent: ${JSON.stringify(sent.body)}`);
  const out = await waitFor(
    () => s.gupshup.sent({ destination: LUCIA }).find((m) => m.message.type === 'template'),
    30_000,
    'the template at Gupshup',
  );
  p.say(
    `${p.agent('💼 Agente Ana')} ${p.dim('(template from the chat picker)')}: ${out.rendered?.text.replace(/\n/g, ' · ') ?? ''}`,
  );
  p.say(`${p.customer('📱 Lucía Fernández')}: Lo paso a buscar`);
  await s.gupshup.customerSends({
    appName: ch.appName,
    from: LUCIA,
    name: 'Lucía Fernández',
    text: 'Lo paso a buscar',
  });
  await waitFor(
    () => s.portal.messages({ author: 'customer' }).filter((m) => m.externalChatId === LUCIA).length >= 2,
    30_000,
    'Lucía’s answer in Bitrix24',
  );
  p.say(
    `${p.agent('💼 Agente Ana')}: Perfecto, la esperamos. ${p.dim('(the window is open again: free text goes)')}`,
  );
  await s.portal.operatorSend({ line: 1, externalChatId: LUCIA, text: 'Perfecto, la esperamos.', userId: 1 });
  await waitFor(
    () => s.gupshup.sent({ destination: LUCIA }).some((m) => m.message.type === 'text'),
    30_000,
    'free text after the reply',
  );
}
