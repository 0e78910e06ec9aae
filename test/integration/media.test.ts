import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { JobRow } from '../../src/shared/db/schema.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { expectRangeAnswers } from '../helpers/media.js';
import { useStack } from '../helpers/stack.js';

/** C4/C5 media against the sandboxes: files both ways, signed links, expired links, refusals. */

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

interface MessageItem {
  id: number;
  direction: string;
  status: string;
  part: number;
  type: string;
  ids: { gupshup: string | null; bitrixMessage: number | null };
  error: { code: string | null } | null;
  history: Array<{ step: string; level: string; code: string | null; detail: string | null }>;
}

describe('media relay', () => {
  const s = useStack();
  let token: string;
  let ch: DemoChannel;
  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
  });

  const messages = async (q = '') =>
    (await api<{ items: MessageItem[] }>(s, token, 'GET', `/messages${q}`)).body.items;
  const customerMessages = (phone: string) =>
    s.portal.messages({ author: 'customer' }).filter((m) => m.externalChatId === phone);
  const customerWrote = async (phone: string) => {
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await waitFor(() => customerMessages(phone).length > 0);
  };
  const noteIn = (phone: string) =>
    s.portal
      .messages({ author: 'operator' })
      .find((m) => m.externalChatId === phone && m.text.startsWith('⚠️ WhatsApp:'));

  it('re-hosts an inbound image and Bitrix24 downloads it from our signed link', async () => {
    const phone = '5491100002001';
    const r = await s.gupshup.customerSends({
      appName: ch.appName,
      from: phone,
      type: 'image',
      text: 'mi factura',
    });
    const [m] = await waitFor(() => {
      const list = customerMessages(phone);
      return list.length ? list : undefined;
    });
    expect(m?.text).toContain('mi factura');
    expect(m?.connectorMid).toEqual([r.id]);
    const file = m?.files[0];
    expect(file?.url?.startsWith(`${s.url}/media/`)).toBe(true);
    expect(file?.name).toMatch(/\.png$/);
    // The portal fetched the link while the call ran (reference/bitrix24.md §3.7) and got the bytes.
    expect(file?.download).toMatchObject({ status: 200, bytes: PNG.length, contentType: 'image/png' });
    // Gupshup's link was read once, by the job, not by the webhook.
    expect(s.gupshup.mediaRequests().filter((q) => q.status === 200)).toHaveLength(1);

    const row = await waitFor(async () =>
      (await messages('?direction=in')).find((x) => x.status === 'delivered'),
    );
    expect(row.history.map((h) => h.step)).toEqual([
      'received',
      'queued',
      'media_stored',
      'delivered_to_bitrix',
    ]);
  });

  it('serves media only behind a valid, unexpired signature, with safe headers', async () => {
    const [m] = customerMessages('5491100002001');
    const url = new URL(m?.files[0]?.url ?? '');
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    // Its own caching, not the no-store every other answer gets (security-headers.ts).
    expect(ok.headers.get('cache-control')).toBe('private, max-age=3600');
    expect(ok.headers.get('content-disposition')).toMatch(/^inline; filename="[^"]+\.png"/);
    expect(Buffer.from(await ok.arrayBuffer()).equals(PNG)).toBe(true);

    const badSig = new URL(url);
    badSig.searchParams.set('sig', 'A'.repeat(43));
    expect((await fetch(badSig)).status).toBe(403);

    const expired = new URL(url);
    expired.searchParams.set('exp', String(Math.floor(Date.now() / 1000) - 10));
    expect((await fetch(expired)).status).toBe(403);

    const noSig = new URL(url);
    noSig.search = '';
    expect((await fetch(noSig)).status).toBe(403);

    const otherId = new URL(url);
    otherId.pathname = `/media/${randomUUID()}`;
    expect((await fetch(otherId)).status).toBe(403);

    // A link we signed for a file we do not have: 404, never a 5xx.
    const unknown = await fetch(s.deps.media.signer.url(randomUUID()));
    expect(unknown.status).toBe(404);
    const garbage = await fetch(s.deps.media.signer.url('not-a-uuid'));
    expect(garbage.status).toBe(404);
  });

  it('answers byte ranges, so a browser can seek in a video', async () => {
    const [m] = customerMessages('5491100002001');
    await expectRangeAnswers(m?.files[0]?.url ?? '', PNG);
  });

  it('delivers a message whose Gupshup link is gone, with a line saying so, and the chat goes on', async () => {
    const phone = '5491100002002';
    await s.gupshup.customerSends({
      appName: ch.appName,
      from: phone,
      type: 'file',
      payload: { url: `${s.gupshup.url}/fm/${randomUUID()}`, name: 'contrato.pdf (files)' },
    });
    await s.gupshup.customerSends({
      appName: ch.appName,
      from: phone,
      type: 'image',
      payload: { urlExpiry: Date.now() - 60_000 },
    });
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: '¿lo recibieron?' });
    const list = await waitFor(() => {
      const l = customerMessages(phone);
      return l.length === 3 ? l : undefined;
    });
    expect(list.map((m) => m.files.length)).toEqual([0, 0, 0]);
    expect(list[0]?.text).toContain('contrato.pdf');
    expect(list[0]?.text).toMatch(/No se pudo descargar el archivo que envió el cliente \(not_found\)/);
    expect(list[1]?.text).toMatch(/\(expired\)/);
    expect(list[2]?.text).toBe('¿lo recibieron?');

    const rows = (await messages('?direction=in')).filter((r) =>
      r.history.some((h) => h.step === 'media_failed'),
    );
    expect(rows.map((r) => r.history.find((h) => h.step === 'media_failed')?.code).sort()).toEqual([
      'expired',
      'not_found',
    ]);
    expect(rows.every((r) => r.status === 'delivered')).toBe(true);
  });

  it('sends an operator image with a caption through our link, and Gupshup can fetch it', async () => {
    const phone = '5491100002003';
    await customerWrote(phone);
    const file = s.portal.addFile({ name: 'foto.png', contentType: 'image/png', data: PNG });
    const sent = await s.portal.operatorSend({
      line: 1,
      externalChatId: phone,
      text: 'Aquí está',
      files: [file],
    });
    const out = await waitFor(() => s.gupshup.sent({ destination: phone }).find((x) => x.media));
    expect(out.message).toMatchObject({ type: 'image', caption: '*Bruno Agente:*\nAquí está' });
    expect(String(out.message.originalUrl).startsWith(`${s.url}/media/`)).toBe(true);
    expect(out.media).toMatchObject({ status: 200, bytes: PNG.length, contentType: 'image/png' });
    await waitFor(() => s.portal.messages().find((m) => m.id === sent.messageId)?.delivered);
    const requests = s.portal.fileRequests();
    expect(requests.map((r) => [r.status, r.withAuth])).toEqual([[200, false]]);
    expect(requests[0]?.path).toMatch(/^\/disk\//);
  });

  it('fetches a private operator file with the portal token and sends it as a document', async () => {
    const phone = '5491100002004';
    await customerWrote(phone);
    const before = s.portal.fileRequests().length;
    const file = s.portal.addFile({
      name: 'Presupuesto & condiciones.pdf',
      contentType: 'application/pdf',
      data: PDF,
      linkRequiresAuth: true,
    });
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: '', files: [file] });
    const out = await waitFor(() => s.gupshup.sent({ destination: phone }).find((x) => x.media));
    expect(out.message).toMatchObject({ type: 'file', filename: 'Presupuesto + condiciones.pdf' });
    expect(out.message).not.toHaveProperty('caption');
    expect(out.media).toMatchObject({ status: 200, bytes: PDF.length });
    expect(
      s.portal
        .fileRequests()
        .slice(before)
        .map((r) => [r.status, r.withAuth]),
    ).toEqual([
      [401, false],
      [200, true],
    ]);
  });

  it('uses downloadLink when there is no link', async () => {
    const phone = '5491100002005';
    await customerWrote(phone);
    const { link: _link, ...file } = s.portal.addFile({
      name: 'nota.ogg',
      contentType: 'audio/ogg',
      data: PDF,
    });
    await s.portal.operatorSend({
      line: 1,
      externalChatId: phone,
      text: '',
      files: [{ ...file, link: '' }],
    });
    const out = await waitFor(() => s.gupshup.sent({ destination: phone }).find((x) => x.media));
    expect(out.message).toMatchObject({ type: 'audio' });
    expect(out.media?.status).toBe(200);
  });

  it('keeps the caption of a file that only turned out to be audio once fetched, as a document', async () => {
    const phone = '5491100002009';
    await customerWrote(phone);
    const { mime: _mime, ...file } = s.portal.addFile({ name: 'nota', contentType: 'audio/ogg', data: PDF });
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'escucha esto', files: [file] });
    const out = await waitFor(() => s.gupshup.sent({ destination: phone }).find((x) => x.media));
    expect(out.message).toMatchObject({
      type: 'file',
      caption: '*Bruno Agente:*\nescucha esto',
      filename: 'nota',
    });
  });

  it('splits a text with two files into three WhatsApp messages, in order, acknowledged together', async () => {
    const phone = '5491100002006';
    await customerWrote(phone);
    const a = s.portal.addFile({ name: 'a.png', contentType: 'image/png', data: PNG });
    const b = s.portal.addFile({ name: 'b.pdf', contentType: 'application/pdf', data: PDF });
    const sent = await s.portal.operatorSend({
      line: 1,
      externalChatId: phone,
      text: 'Dos archivos',
      files: [a, b],
    });
    const out = await waitFor(() => {
      const l = s.gupshup.sent({ destination: phone });
      return l.length === 3 && l.every((x) => x.message.type === 'text' || x.media) ? l : undefined;
    });
    expect(out.map((x) => x.message.type)).toEqual(['text', 'image', 'file']);
    expect(out[0]?.message.text).toBe('*Bruno Agente:*\nDos archivos');
    const ids = out.map((x) => x.messageId);
    await waitFor(() => s.portal.messages().find((m) => m.id === sent.messageId)?.connectorMid.length === 3);
    expect(s.portal.messages().find((m) => m.id === sent.messageId)?.connectorMid).toEqual(ids);
    const rows = (await messages('?direction=out')).filter((r) => r.ids.bitrixMessage === sent.messageId);
    expect(rows.map((r) => r.part).sort()).toEqual([0, 1, 2]);
  });

  it('refuses a file over WhatsApp’s limit with a note in the chat, without downloading it', async () => {
    const phone = '5491100002007';
    await customerWrote(phone);
    const before = s.portal.fileRequests().length;
    const file = s.portal.addFile({ name: 'video.mp4', contentType: 'video/mp4', data: PNG });
    await s.portal.operatorSend({
      line: 1,
      externalChatId: phone,
      text: '',
      files: [{ ...file, size: 200 * 1024 * 1024 }],
    });
    const note = await waitFor(() => noteIn(phone));
    expect(note.text).toContain('supera el tamaño que WhatsApp admite');
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);
    expect(s.portal.fileRequests().length).toBe(before);
    const [row] = (await messages('?direction=out')).filter((r) => r.error?.code === 'file_too_large');
    expect(row?.status).toBe('failed');
    expect(row?.history.map((h) => h.step)).toContain('file_refused');
  });

  it('refuses a file Bitrix24 no longer has with a note, and the chat goes on', async () => {
    const phone = '5491100002010';
    await customerWrote(phone);
    await s.portal.operatorSend({
      line: 1,
      externalChatId: phone,
      text: '',
      files: [{ name: 'borrado.pdf', type: 'file', link: `${s.portal.url}/disk/00ff/borrado.pdf`, size: 10 }],
    });
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'Te lo reenvío luego' });
    const note = await waitFor(() => noteIn(phone));
    expect(note.text).toContain('no se pudo descargar desde Bitrix24');
    const out = await waitFor(() => {
      const l = s.gupshup.sent({ destination: phone });
      return l.length ? l : undefined;
    });
    expect(out.map((x) => x.message.text)).toEqual(['*Bruno Agente:*\nTe lo reenvío luego']);
    const [row] = (await messages('?direction=out')).filter((r) => r.error?.code === 'file_unavailable');
    expect(row?.history.find((h) => h.step === 'file_refused')?.detail).toMatch(/^not_found: /);
  });

  it('answers an edit or a delete after sending with a note: WhatsApp cannot change it', async () => {
    const phone = '5491100002008';
    await customerWrote(phone);
    const sent = await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'Precio: 100' });
    await waitFor(() => s.portal.messages().find((m) => m.id === sent.messageId)?.connectorMid.length);
    const edit = await s.portal.operatorEdit({ messageId: sent.messageId, text: 'Precio: 120' });
    expect(edit.map((r) => r.status)).toEqual([200]);
    const note = await waitFor(() => noteIn(phone));
    expect(note.text).toContain('WhatsApp no permite editar');

    const del = await s.portal.operatorDelete({ messageId: sent.messageId });
    expect(del.map((r) => r.status)).toEqual([200]);
    await waitFor(() =>
      s.portal
        .messages({ author: 'operator' })
        .find((m) => m.externalChatId === phone && m.text.includes('WhatsApp no permite borrar')),
    );
    expect(s.gupshup.sent({ destination: phone }).map((x) => x.message.text)).toEqual([
      '*Bruno Agente:*\nPrecio: 100',
    ]);
    const [row] = (await messages('?direction=out')).filter((r) => r.ids.bitrixMessage === sent.messageId);
    const steps = row?.history.map((h) => h.step) ?? [];
    expect(steps).toContain('edit_not_possible');
    expect(steps).toContain('delete_not_possible');
  });
});

/** Retention: files are deleted after MEDIA_RETENTION_DAYS by the hourly sweep. */
describe('media retention', () => {
  const s = useStack();
  beforeAll(async () => {
    const token = await installAndToken(s);
    const ch = await connectChannel(s, token, 1);
    await s.gupshup.customerSends({ appName: ch.appName, from: '5491100004001', type: 'image' });
    await waitFor(() => s.portal.messages({ author: 'customer' }).length === 1);
  });

  it('schedules a sweep when a file is stored, and the sweep deletes files past retention', async () => {
    const url = s.portal.messages({ author: 'customer' })[0]?.files[0]?.url ?? '';
    const id = new URL(url).pathname.split('/').pop() ?? '';
    const sweeps = await s.deps.db
      .selectFrom('jobs')
      .select('run_at')
      .where('topic', '=', 'media.sweep')
      .execute();
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]!.run_at.getTime()).toBeGreaterThan(Date.now());

    const sweep = s.deps.media.sweepJob();
    expect(await sweep.run({} as JobRow, s.deps.log)).toEqual({ kind: 'done' });
    expect((await fetch(url)).status).toBe(200); // still within retention
    // A file is left: the sweep has booked its own next run, so deletion does not wait for new files.
    const booked = await s.deps.db
      .selectFrom('jobs')
      .select('run_at')
      .where('topic', '=', 'media.sweep')
      .execute();
    expect(booked).toHaveLength(2);
    expect(Math.max(...booked.map((b) => b.run_at.getTime()))).toBeGreaterThan(Date.now() + 3_000_000);

    await sql`UPDATE media SET created_at = now() - interval '31 days' WHERE id = ${id}`.execute(s.deps.db);
    expect(await sweep.run({} as JobRow, s.deps.log)).toEqual({ kind: 'done' });
    expect((await fetch(url)).status).toBe(404);
    expect(await s.deps.db.selectFrom('media').select('id').where('id', '=', id).execute()).toEqual([]);
  });
});

/** Edits and deletes that arrive before the worker sent the message (the worker is driven by hand). */
describe('operator changes before sending', () => {
  const s = useStack({ worker: false });
  let token: string;
  let ch: DemoChannel;
  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
  });

  const opened = async (phone: string) => {
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await s.deps.worker.drain();
  };

  /** The event as Bitrix24 shapes it (reference/bitrix24.md §4.2, §4.3). */
  const change = (event: string, imMessageId: number, chatId: number, phone: string, text?: string) =>
    s.portal.postEvent({
      event,
      data: {
        CONNECTOR: 'whatsappb24_gupshup',
        LINE: '1',
        MESSAGES: [
          {
            im: { chat_id: String(chatId), message_id: String(imMessageId) },
            message: { id: ['x'], ...(text !== undefined ? { text } : {}) },
            chat: { id: phone },
          },
        ],
      },
    });

  it('sends the edited text when the edit arrives before the send', async () => {
    const phone = '5491100003001';
    await opened(phone);
    const sent = await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'Hola, cuesta 100' });
    // The operator edits it in the portal, which tells the connector (early: before the delivery ack).
    await s.portal.operatorEdit({ messageId: sent.messageId, text: 'Hola, cuesta 120' });
    const r = await change(
      'ONIMCONNECTORMESSAGEUPDATE',
      sent.messageId,
      sent.chatId,
      phone,
      'Hola, cuesta 120',
    );
    expect(r.map((x) => x.status)).toEqual([200]);
    await s.deps.worker.drain();
    expect(s.gupshup.sent({ destination: phone }).map((x) => x.message.text)).toEqual(['Hola, cuesta 120']);
    const items = (await api<{ items: MessageItem[] }>(s, token, 'GET', '/messages?direction=out')).body
      .items;
    expect(items.find((i) => i.ids.bitrixMessage === sent.messageId)?.history.map((h) => h.step)).toContain(
      'edited_before_send',
    );
  });

  it('does not send a message deleted before the send', async () => {
    const phone = '5491100003002';
    await opened(phone);
    const sent = await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'Borrame' });
    const r = await change('ONIMCONNECTORMESSAGEDELETE', sent.messageId, sent.chatId, phone);
    expect(r.map((x) => x.status)).toEqual([200]);
    await s.deps.worker.drain();
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);
    const items = (await api<{ items: MessageItem[] }>(s, token, 'GET', '/messages?direction=out')).body
      .items;
    const row = items.find((i) => i.ids.bitrixMessage === sent.messageId);
    expect(row?.status).toBe('deleted');
    expect(row?.history.map((h) => h.step)).toContain('cancelled_before_send');
  });
});
