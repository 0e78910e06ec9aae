import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  type DemoChannel,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import {
  asUser,
  draft,
  PNG,
  templateCount,
  upload,
  type Refusal,
  type TemplateItem,
} from '../helpers/template-admin.js';

const ADMIN = 1;
const BRUNO = 2; // no role
const CARLA = 3; // sales representative
const ELENA = 5; // quality control
const FABIO = 6; // boss

/** Who may do what with templates, and bad input on every route: a 4xx and nothing written. */
describe('template routes: roles and bad input', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token: string;
  let ch: DemoChannel;
  let other: DemoChannel;
  let existing: TemplateItem;
  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1, 1);
    other = await connectChannel(s, token, 2, 2);
    s.gupshup.setTemplateReview({ mode: 'manual' });
    existing = (await api<TemplateItem>(s, token, 'POST', '/templates', draft(ch.id))).body;
    const role = (userId: number, r: Record<string, boolean>) => ({
      channelId: ch.id,
      userId,
      userName: `user ${userId}`,
      qualityControl: false,
      salesRep: false,
      receivesNew: false,
      boss: false,
      ...r,
    });
    const applied = await asUser(s, ADMIN, 'PUT', '/roles', {
      changes: [
        role(CARLA, { salesRep: true }),
        role(ELENA, { qualityControl: true }),
        role(FABIO, { boss: true }),
      ],
    });
    expect(applied.status).toBe(200);
  });

  const mediaAs = async (userId: number) => {
    const auth = new URLSearchParams({ DOMAIN: s.portal.domain, member_id: s.portal.memberId });
    auth.set('AUTH_ID', s.portal.issueTokens({ userId }).accessToken);
    const r = await fetch(`${s.url}/api/v1/templates/media`, {
      method: 'POST',
      headers: { 'x-b24-auth': auth.toString(), 'content-type': 'image/png' },
      body: PNG,
    });
    return r.status;
  };

  it('refuses a user without a role on every route (403), before looking at the input', async () => {
    const id = existing.id;
    const calls: Array<[string, string, unknown?]> = [
      ['GET', '/templates'],
      ['GET', `/templates/${id}`],
      ['POST', '/templates', { nonsense: true }],
      ['POST', '/templates', draft(ch.id, { elementName: 'by_bruno' })],
      ['PATCH', `/templates/${id}`, { displayName: 'x' }],
      ['PUT', `/templates/${id}/lines`, { lineIds: [1] }],
      ['DELETE', `/templates/${id}`],
      ['POST', `/templates/sync?channelId=${ch.id}`],
    ];
    for (const [method, path, body] of calls) {
      const r = await asUser<Refusal>(s, BRUNO, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
    expect(await mediaAs(BRUNO)).toBe(403);
    expect(await templateCount(s)).toBe(1);
  });

  it('lets each role do what it opens, on its own channel only', async () => {
    for (const reader of [CARLA, ELENA, FABIO]) {
      const list = await asUser<{ templates: TemplateItem[] }>(s, reader, 'GET', '/templates');
      expect(list.status, `user ${reader}`).toBe(200);
      expect(list.body.templates.map((t) => t.id)).toEqual([existing.id]);
    }
    expect((await asUser(s, CARLA, 'GET', `/templates?channelId=${other.id}`)).status).toBe(403);
    // Sales representatives upload header files to send; quality control only reads.
    expect(await mediaAs(CARLA)).toBe(201);
    expect(await mediaAs(ELENA)).toBe(403);
    expect(
      (await asUser(s, CARLA, 'POST', '/templates', draft(ch.id, { elementName: 'by_carla' }))).status,
    ).toBe(403);
    expect((await asUser(s, CARLA, 'PATCH', `/templates/${existing.id}`, { active: false })).status).toBe(
      403,
    );
    // The boss manages the channel's templates, not another channel's.
    const mine = await asUser<TemplateItem>(
      s,
      FABIO,
      'POST',
      '/templates',
      draft(ch.id, { elementName: 'by_fabio' }),
    );
    expect(mine.status).toBe(201);
    const theirs = await asUser(s, FABIO, 'POST', '/templates', draft(other.id, { elementName: 'by_fabio' }));
    expect(theirs.status).toBe(403);
    expect(
      (await asUser(s, FABIO, 'PATCH', `/templates/${mine.body.id}`, { displayName: 'De Fabio' })).status,
    ).toBe(200);
  });

  it('answers the rules in the caller’s language, naming each field, and writes nothing', async () => {
    const before = await templateCount(s);
    const upstream = s.gupshup.templates().length;
    const bad = draft(ch.id, {
      elementName: 'Bad Name',
      body: 'Hola {{1}}, pedido {{3}} listo.',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Sí' },
        { type: 'URL', text: 'Ver', url: 'https://x.example.com' },
      ],
    });
    const es = await asUser<Refusal>(s, ADMIN, 'POST', '/templates', bad, {
      'accept-language': 'es-AR,es;q=0.9',
    });
    expect(es.status).toBe(400);
    expect(es.body.error.code).toBe('validation_error');
    const codes = es.body.error.issues?.map((i) => i.code);
    expect(codes).toEqual(
      expect.arrayContaining(['element_name_format', 'placeholder_missing', 'buttons_mixed']),
    );
    expect(es.body.error.issues?.find((i) => i.code === 'placeholder_missing')?.message).toBe(
      'Falta la variable {{2}}: deben ir desde {{1}} sin saltos',
    );
    const en = await asUser<Refusal>(s, ADMIN, 'POST', '/templates', bad, { 'accept-language': 'en-US' });
    expect(en.body.error.message).toContain('Placeholder {{2}} is missing');
    expect(await templateCount(s)).toBe(before);
    expect(s.gupshup.templates().length).toBe(upstream);
  });

  it('answers 4xx to bad input on every route, with nothing written', async () => {
    const before = await templateCount(s);
    const mediaRows = async () => (await s.deps.db.selectFrom('media').select('id').execute()).length;
    const media = await mediaRows();
    const id = existing.id;
    const cases: Array<[string, string, unknown, number]> = [
      ['POST', '/templates', { channelId: ch.id }, 400],
      ['POST', '/templates', draft('not-a-uuid'), 400],
      ['POST', '/templates', draft(randomUUID()), 404],
      ['POST', '/templates', draft(ch.id, { buttons: [{ type: 'FLOW', text: 'x' }] }), 400],
      [
        'POST',
        '/templates',
        draft(ch.id, { elementName: 'img', type: 'IMAGE', buttons: [], sampleMediaId: randomUUID() }),
        400,
      ],
      ['GET', '/templates?active=maybe', undefined, 400],
      ['GET', '/templates?channelId=12', undefined, 400],
      ['GET', '/templates/nope', undefined, 404],
      ['GET', `/templates/${randomUUID()}`, undefined, 404],
      ['PATCH', `/templates/${id}`, {}, 400],
      ['PATCH', `/templates/${id}`, { displayName: '  ' }, 400],
      ['PATCH', `/templates/${id}`, { active: 'yes' }, 400],
      ['PATCH', `/templates/${randomUUID()}`, { active: false }, 404],
      ['PUT', `/templates/${id}/lines`, { lineIds: [999] }, 400],
      ['PUT', `/templates/${id}/lines`, { lineIds: ['x'] }, 400],
      ['PUT', `/templates/${id}/lines`, { lineIds: 'all' }, 400],
      ['DELETE', `/templates/${randomUUID()}`, undefined, 404],
      ['POST', '/templates/sync', undefined, 400],
      ['POST', `/templates/sync?channelId=${randomUUID()}`, undefined, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const r = await asUser<Refusal>(s, ADMIN, method, path, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(r.body.error.code).toBeTruthy();
    }
    const t = (await api<TemplateItem>(s, token, 'GET', `/templates/${id}`)).body;
    expect(t).toMatchObject({ displayName: existing.displayName, active: true, lineIds: [] });
    expect(await templateCount(s)).toBe(before);
    // Header files: the declared type must be allowed and be what the bytes are, within its size.
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom'), Buffer.alloc(12)]);
    const uploads: Array<[Buffer, string, number]> = [
      [Buffer.from('hello'), 'text/plain', 415],
      [PNG, 'image/jpeg', 415],
      [Buffer.from('{"a":1}'), 'application/json', 415],
      [Buffer.alloc(0), 'image/png', 400],
      [Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)]), 'image/png', 413],
      [Buffer.concat([mp4, Buffer.alloc(6 * 1024 * 1024)]), 'video/mp4', 413],
    ];
    for (const [bytes, type, status] of uploads) {
      expect((await upload(s, token, bytes, type)).status, `${type} ${bytes.length}`).toBe(status);
    }
    expect(await mediaRows()).toBe(media);
  });

  it('checks the sample file against the template type, and the channel’s App ID', async () => {
    const pdf = await upload(s, token, Buffer.from('%PDF-1.4\n%%EOF\n'), 'application/pdf', 'muestra.pdf');
    expect(pdf.status).toBe(201);
    const wrong = await api<Refusal>(
      s,
      token,
      'POST',
      '/templates',
      draft(ch.id, {
        elementName: 'img_with_pdf',
        type: 'IMAGE',
        buttons: [],
        sampleMediaId: pdf.body.mediaId,
      }),
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.issues?.[0]).toMatchObject({
      field: 'sampleMediaId',
      code: 'sample_media_wrong_type',
    });
    const bare = await api<{ id: string }>(s, token, 'POST', '/channels', {
      name: 'Sin App ID',
      gupshupAppName: 'NoAppIdShop',
      sourceNumber: '5491100000999',
      apiKey: 'sandbox-key-none-abcdefgh',
    });
    expect(bare.status).toBe(201);
    const noApp = await api<Refusal>(
      s,
      token,
      'POST',
      '/templates',
      draft(bare.body.id, { elementName: 'x1' }),
    );
    expect(noApp.status).toBe(400);
    expect(noApp.body.error.issues?.[0]).toMatchObject({ field: 'channelId', code: 'channel_no_app_id' });
  });
});
