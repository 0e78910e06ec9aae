import { Readable } from 'node:stream';
import type { Stack } from '../../scripts/stack.js';

/** A draft campaign put straight into the database (the campaigns CRUD is another branch's). */
export async function draftCampaign(
  s: Stack,
  o: { channelId: string; templateId: string | null; name?: string },
): Promise<number> {
  const ch = await s.deps.db
    .selectFrom('channels')
    .select('portal_id')
    .where('id', '=', o.channelId)
    .executeTakeFirstOrThrow();
  const row = await s.deps.db
    .insertInto('campaigns')
    .values({
      portal_id: ch.portal_id,
      channel_id: o.channelId,
      template_id: o.templateId,
      name: o.name ?? 'Campaña de prueba',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface UploadAnswer {
  status: number;
  body: {
    list?: { source: string; status: string; rows: number; rejected: number; info: Record<string, unknown> };
    rows?: Array<{
      line: number;
      phone: string;
      name: string;
      params: string[];
      text: string;
      templateName: string;
    }>;
    rejected?: Array<{ line: number; rawPhone: string; code: string; message: string }>;
    counts?: { rows: number; valid: number; rejected: number };
    error?: { code: string; message: string };
  };
}

/** PUT /campaigns/:id/list with a bearer token; the body a string, bytes or a stream of chunks. */
export async function uploadList(
  s: Stack,
  auth: { token: string } | { frontend: string },
  id: number | string,
  body: string | Buffer | AsyncIterable<Buffer>,
  o: { contentType?: string; query?: string } = {},
): Promise<UploadAnswer> {
  const headers: Record<string, string> = {
    'content-type': o.contentType ?? 'text/csv',
    ...('token' in auth ? { authorization: `Bearer ${auth.token}` } : { 'x-b24-auth': auth.frontend }),
  };
  const streamed = typeof body !== 'string' && !Buffer.isBuffer(body);
  const r = await fetch(`${s.url}/api/v1/campaigns/${id}/list${o.query ?? ''}`, {
    method: 'PUT',
    headers,
    body: streamed ? (Readable.toWeb(Readable.from(body)) as ReadableStream) : body,
    ...(streamed ? { duplex: 'half' } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as UploadAnswer['body']) : {} };
}

/** What a campaign's list holds in the database: rows by status and the campaign's counters. */
export async function storedList(s: Stack, id: number) {
  const c = await s.deps.db
    .selectFrom('campaigns')
    .select(['rows_total', 'rows_rejected', 'list_status', 'list_source'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const rows = await s.deps.db
    .selectFrom('campaign_rows')
    .select(['line_no', 'phone_e164', 'status', 'error_code', 'params', 'name', 'template_id'])
    .where('campaign_id', '=', id)
    .orderBy('line_no')
    .execute();
  return { ...c, rows };
}
