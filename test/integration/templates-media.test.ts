import { beforeAll, describe, expect, it } from 'vitest';
import { connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { addTemplate, withToken, type TestTemplate } from '../helpers/templates.js';

/** The smallest PNG there is (1×1, transparent). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * A media template's header (issue 11, seed 001): given by link, the file is re-hosted by the media
 * module before the send and Gupshup gets our signed link; given as a stored file (mediaId), it is
 * checked at once. A file of the wrong kind fails the message with its reason.
 */
describe('template header media', () => {
  const s = useStack();
  let token: string;
  let ch: DemoChannel;
  let promo: TestTemplate;

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    promo = await addTemplate(s, {
      channelId: ch.id,
      name: 'promo_foto',
      type: 'IMAGE',
      body: 'Oferta para {{1}}',
      params: [{ name: 'nombre', example: 'Ana' }],
    });
  });

  const send = (body: Record<string, unknown>) =>
    withToken<{ messageId: number; error?: { issues?: Array<{ code: string }> } }>(
      s,
      token,
      'POST',
      '/messages/template',
      { channelId: ch.id, templateId: promo.id, params: ['Ana'], ...body },
    );

  it('re-hosts a header given by link and sends our signed link; the stored file can be sent again', async () => {
    const file = s.portal.addFile({ name: 'promo.png', contentType: 'image/png', data: PNG });
    const r = await send({ to: '5491100007001', mediaUrl: file.link });
    expect(r.status).toBe(202);
    const out = await waitFor(() => s.gupshup.sent({ destination: '5491100007001' })[0]);
    const header = out.message['message'] as { type: string; image: { link: string } };
    expect(header.type).toBe('image');
    expect(header.image.link.startsWith(`${s.url}/media/`)).toBe(true);
    const served = await fetch(header.image.link);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);

    const row = await s.deps.db
      .selectFrom('messages')
      .select(['type', 'content'])
      .where('id', '=', r.body.messageId)
      .executeTakeFirstOrThrow();
    expect(row.type).toBe('template');
    const mediaId = (row.content as { media: { mediaId: string } }).media.mediaId;
    const again = await send({ to: '5491100007002', mediaId });
    expect(again.status).toBe(202);
    const second = await waitFor(() => s.gupshup.sent({ destination: '5491100007002' })[0]);
    expect((second.message['message'] as { type: string }).type).toBe('image');
  });

  it('fails the message when the linked file is not an image, and refuses a stored one at once', async () => {
    const pdf = s.portal.addFile({
      name: 'lista.pdf',
      contentType: 'application/pdf',
      data: Buffer.from('%PDF-1.4\n%%EOF\n'),
    });
    const r = await send({ to: '5491100007003', mediaUrl: pdf.link });
    expect(r.status).toBe(202);
    await waitFor(async () => {
      const m = await s.deps.db
        .selectFrom('messages')
        .select(['status', 'error_code'])
        .where('id', '=', r.body.messageId)
        .executeTakeFirst();
      return m?.status === 'failed' && m.error_code === 'header_media_invalid';
    });
    expect(s.gupshup.sent({ destination: '5491100007003' })).toHaveLength(0);

    const row = await s.deps.db
      .selectFrom('messages')
      .select('content')
      .where('id', '=', r.body.messageId)
      .executeTakeFirstOrThrow();
    const pdfId = (row.content as { media: { mediaId: string } }).media.mediaId;
    const refused = await send({ to: '5491100007004', mediaId: pdfId });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.issues?.map((i) => i.code)).toEqual(['media_type']);
    const missing = await send({ to: '5491100007004', mediaId: '00000000-0000-4000-8000-000000000000' });
    expect(missing.body.error?.issues?.map((i) => i.code)).toEqual(['media_not_found']);
  });
});
