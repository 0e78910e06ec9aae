import { frontendAuth, type Stack } from '../../scripts/stack.js';

/**
 * Templates for the sending tests: made in the sandbox Gupshup's console (so its template send knows
 * them, §2.1) and put straight into our database as the templates module leaves them once Gupshup
 * approved them: Gupshup's id, a status, the open lines they are assigned to.
 */
export interface TestTemplate {
  id: string;
  gupshupId: string;
}

export async function addTemplate(
  s: Stack,
  o: {
    channelId: string;
    name: string;
    displayName?: string;
    type?: 'TEXT' | 'IMAGE' | 'DOCUMENT' | 'VIDEO';
    body?: string;
    params?: Array<{ name: string; example: string }>;
    lines?: number[];
    status?: 'approved' | 'pending' | 'paused' | 'rejected';
    active?: boolean;
    language?: string;
  },
): Promise<TestTemplate> {
  const ch = await s.deps.db
    .selectFrom('channels')
    .select(['portal_id', 'gupshup_app_id'])
    .where('id', '=', o.channelId)
    .executeTakeFirstOrThrow();
  const body = o.body ?? 'Hola {{1}}, su pedido {{2}} está listo.';
  const console = s.gupshup.addConsoleTemplate(ch.gupshup_app_id ?? '', {
    elementName: o.name,
    languageCode: o.language ?? 'es',
    content: body,
    category: 'UTILITY',
    templateType: o.type ?? 'TEXT',
    status: (o.status ?? 'approved').toUpperCase() as 'APPROVED',
  });
  const gupshupId = console.id;
  const row = await s.deps.db
    .insertInto('templates')
    .values({
      portal_id: ch.portal_id,
      channel_id: o.channelId,
      element_name: o.name,
      display_name: o.displayName ?? o.name,
      language: o.language ?? 'es',
      category: 'UTILITY',
      template_type: o.type ?? 'TEXT',
      body,
      params: JSON.stringify(
        o.params ?? [
          { name: 'nombre', example: 'Ana' },
          { name: 'pedido', example: 'A-1' },
        ],
      ),
      status: o.status ?? 'approved',
      gupshup_id: gupshupId,
      active: o.active ?? true,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const line of o.lines ?? [1]) {
    await s.deps.db.insertInto('template_lines').values({ template_id: row.id, line_id: line }).execute();
  }
  return { id: row.id, gupshupId };
}

/** A JSON API call as a page makes it: with a portal user's frontend auth. */
export async function asUser<T = unknown>(
  s: Stack,
  userId: number,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const auth = new URLSearchParams(await frontendAuth(s, userId)).toString();
  const r = await fetch(`${s.url}/api/v1${path}`, {
    method,
    headers: {
      'x-b24-auth': auth,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A JSON API call with a bearer token and extra headers. */
export async function withToken<T = unknown>(
  s: Stack,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const r = await fetch(`${s.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Makes a portal user a sales representative of the channel (who may send its templates). */
export async function makeSalesRep(s: Stack, channelId: string, userId: number): Promise<void> {
  const ch = await s.deps.db
    .selectFrom('channels')
    .select('portal_id')
    .where('id', '=', channelId)
    .executeTakeFirstOrThrow();
  await s.deps.db
    .insertInto('channel_roles')
    .values({ portal_id: ch.portal_id, channel_id: channelId, user_id: userId, sales_rep: true })
    .execute();
}
