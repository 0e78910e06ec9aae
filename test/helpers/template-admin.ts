import { api, waitFor, type Stack } from '../../scripts/stack.js';

export { asUser } from './templates.js';

/**
 * Helpers for the template management tests (the templates module's own routes); the sending tests'
 * helpers are in templates.ts.
 */

/** What the template routes answer (src/modules/templates/template-view.ts). */
export interface TemplateItem {
  id: string;
  channelId: string;
  elementName: string;
  displayName: string;
  language: string;
  category: string;
  type: string;
  header: string | null;
  body: string;
  footer: string | null;
  buttons: Array<Record<string, unknown>>;
  params: Array<{ name: string; example: string }>;
  sampleMediaId: string | null;
  status: string;
  statusReason: string | null;
  active: boolean;
  source: string;
  lineIds: number[];
  gupshupId: string | null;
  deleting: boolean;
}

export interface Refusal {
  error: { code: string; message: string; issues?: Array<{ field: string; code: string; message: string }> };
}

/** A valid utility template of the channel; `o` overrides any field. */
export function draft(channelId: string, o: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    channelId,
    elementName: 'order_update',
    displayName: 'Pedido en camino',
    language: 'es',
    category: 'UTILITY',
    type: 'TEXT',
    body: 'Hola {{1}}, su pedido {{2}} está en camino.',
    footer: 'Tienda Norte',
    params: [
      { name: 'Nombre', example: 'Ana' },
      { name: 'Pedido', example: 'A-123' },
    ],
    buttons: [{ type: 'QUICK_REPLY', text: 'Gracias' }],
    ...o,
  };
}

/** Polls one template until `check` holds. */
export async function waitForTemplate(
  s: Stack,
  token: string,
  id: string,
  check: (t: TemplateItem) => boolean,
  what = 'template state',
): Promise<TemplateItem> {
  let last: TemplateItem | undefined;
  await waitFor(
    async () => {
      last = (await api<TemplateItem>(s, token, 'GET', `/templates/${id}`)).body;
      return check(last);
    },
    20_000,
    `${what} (last: ${last?.status} ${last?.statusReason})`,
  );
  return last as TemplateItem;
}

/** How many templates the database holds (bad input must leave it as it was). */
export async function templateCount(s: Stack): Promise<number> {
  const r = await s.deps.db
    .selectFrom('templates')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Uploads a header file as the raw body. */
export async function upload(
  s: Stack,
  token: string,
  bytes: Buffer,
  contentType: string,
  name?: string,
): Promise<{ status: number; body: { mediaId?: string; error?: { code: string } } }> {
  const r = await fetch(`${s.url}/api/v1/templates/media${name ? `?name=${encodeURIComponent(name)}` : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: bytes,
  });
  return { status: r.status, body: (await r.json()) as { mediaId?: string; error?: { code: string } } };
}

export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
