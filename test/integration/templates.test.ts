import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  waitFor,
  type DemoChannel,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import {
  draft,
  PNG,
  upload,
  waitForTemplate,
  type Refusal,
  type TemplateItem,
} from '../helpers/template-admin.js';

/**
 * C6 templates through real HTTP, a real PostgreSQL and the sandbox Gupshup (which reviews what is
 * created and posts template events): submit, review, pause, header samples, lines, deletion, and
 * the periodic sync with templates made in the Gupshup console.
 */
describe('WhatsApp templates', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token: string;
  let ch: DemoChannel;
  let appId: string;
  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    appId = (await api<{ gupshupAppId: string }>(s, token, 'GET', `/channels/${ch.id}`)).body.gupshupAppId;
  });

  const create = (o: Record<string, unknown> = {}) =>
    api<TemplateItem & Refusal>(s, token, 'POST', '/templates', draft(ch.id, o));
  const trace = async (step: string) =>
    s.deps.db.selectFrom('trace').select(['step', 'level', 'detail']).where('step', '=', step).execute();

  it('submits a new template once and follows its review to approved', async () => {
    s.gupshup.setTemplateReview({ mode: 'approve', delayMs: 200 });
    const created = await create();
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', source: 'app', lineIds: [], active: true });
    const approved = await waitForTemplate(s, token, created.body.id, (t) => t.status === 'approved');
    const upstream = s.gupshup.templates(appId).filter((t) => t.elementName === 'order_update');
    expect(upstream).toHaveLength(1);
    expect(approved.gupshupId).toBe(upstream[0]?.id);
    expect(JSON.parse(upstream[0]?.meta ?? '{}')).toMatchObject({
      example: 'Hola Ana, su pedido A-123 está en camino.',
    });
    expect(upstream[0]).toMatchObject({ category: 'UTILITY', templateType: 'TEXT', languageCode: 'es' });
    expect((await trace('template_submitted')).map((t) => t.detail)).toContain('order_update (es)');
    expect((await trace('template_approved')).length).toBeGreaterThan(0);
  });

  it('records a rejection with Gupshup’s reason', async () => {
    s.gupshup.setTemplateReview({ mode: 'reject', delayMs: 100, reason: 'INVALID_FORMAT' });
    const created = await create({ elementName: 'promo_rejected', category: 'MARKETING' });
    expect(created.status).toBe(201);
    const t = await waitForTemplate(s, token, created.body.id, (x) => x.status === 'rejected');
    expect(t.statusReason).toBe('INVALID_FORMAT');
    expect((await trace('template_rejected'))[0]).toMatchObject({ level: 'WARN' });
  });

  it('follows a pause with its description, and an approval back', async () => {
    s.gupshup.setTemplateReview({ mode: 'approve', delayMs: 50 });
    const created = await create({ elementName: 'pause_me' });
    const approved = await waitForTemplate(s, token, created.body.id, (t) => t.status === 'approved');
    s.gupshup.setTemplateStatus(approved.gupshupId as string, 'PAUSED', {
      description: 'paused for 3 hours',
    });
    const paused = await waitForTemplate(s, token, created.body.id, (t) => t.status === 'paused');
    expect(paused.statusReason).toBe('paused for 3 hours');
    s.gupshup.setTemplateStatus(approved.gupshupId as string, 'APPROVED');
    const back = await waitForTemplate(s, token, created.body.id, (t) => t.status === 'approved');
    expect(back.statusReason).toBeNull();
  });

  it('sends an image template’s sample as a signed link Gupshup can fetch', async () => {
    s.gupshup.setTemplateReview({ mode: 'approve', delayMs: 50 });
    const up = await upload(s, token, PNG, 'image/png', 'muestra.png');
    expect(up.status).toBe(201);
    const created = await create({
      elementName: 'with_image',
      type: 'IMAGE',
      sampleMediaId: up.body.mediaId,
      buttons: [],
    });
    expect(created.status).toBe(201);
    await waitForTemplate(s, token, created.body.id, (t) => t.status === 'approved');
    const upstream = s.gupshup.templates(appId).find((t) => t.elementName === 'with_image');
    const mediaUrl = (JSON.parse(upstream?.containerMeta ?? '{}') as { mediaUrl?: string }).mediaUrl ?? '';
    expect(mediaUrl).toContain(`/media/${up.body.mediaId}?exp=`);
    const fetched = await fetch(mediaUrl);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('assigns open lines, and offers only approved, active, assigned templates', async () => {
    const approved = (await api<{ templates: TemplateItem[] }>(s, token, 'GET', '/templates?status=approved'))
      .body.templates[0] as TemplateItem;
    const portalId = (await s.deps.db.selectFrom('channels').select('portal_id').executeTakeFirstOrThrow())
      .portal_id;
    // Approved but on no line: never offered.
    expect(await s.deps.templates.offered(portalId, ch.id, 1)).toEqual([]);
    const put = await api<TemplateItem>(s, token, 'PUT', `/templates/${approved.id}/lines`, { lineIds: [1] });
    expect(put).toMatchObject({ status: 200, body: { lineIds: [1] } });
    expect((await s.deps.templates.offered(portalId, ch.id, 1)).map((t) => t.id)).toContain(approved.id);
    const off = await api<TemplateItem>(s, token, 'PATCH', `/templates/${approved.id}`, { active: false });
    expect(off.body.active).toBe(false);
    expect((await s.deps.templates.offered(portalId, ch.id, 1)).map((t) => t.id)).not.toContain(approved.id);
    const filtered = await api<{ templates: TemplateItem[] }>(s, token, 'GET', '/templates?active=false');
    expect(filtered.body.templates.map((t) => t.id)).toEqual([approved.id]);
  });

  it('deletes through Gupshup: 202 at once, deleted when done, gone upstream', async () => {
    s.gupshup.setTemplateReview({ mode: 'approve', delayMs: 50 });
    const created = await create({ elementName: 'short_lived' });
    await waitForTemplate(s, token, created.body.id, (t) => t.status === 'approved');
    const del = await api<TemplateItem>(s, token, 'DELETE', `/templates/${created.body.id}`);
    expect(del.status).toBe(202);
    expect(del.body).toMatchObject({ active: false });
    await waitForTemplate(s, token, created.body.id, (t) => t.status === 'deleted');
    expect(s.gupshup.templates(appId).some((t) => t.elementName === 'short_lived')).toBe(false);
    // The name is free again.
    expect((await create({ elementName: 'short_lived' })).status).toBe(201);
  });

  it('the periodic sync imports a console template, unassigned; a sync notices one deleted in the console', async () => {
    s.gupshup.addConsoleTemplate(appId, {
      elementName: 'console_hello',
      languageCode: 'en',
      category: 'MARKETING',
      content: 'Hello {{1}}, new arrivals this week.',
      example: 'Hello Ana, new arrivals this week.',
    });
    await s.deps.templates.schedulePeriodicSync();
    const imported = await waitFor(
      async () =>
        (await api<{ templates: TemplateItem[] }>(s, token, 'GET', '/templates?q=console_hello')).body
          .templates[0],
    );
    expect(imported).toMatchObject({
      source: 'console',
      status: 'approved',
      language: 'en',
      lineIds: [],
      params: [{ name: '{{1}}', example: 'Ana' }],
    });
    // Deleted in the console while its events cannot reach us: only the sync can tell.
    s.gupshup.setCallbackUrl(ch.appName, 'http://127.0.0.1:9/nowhere');
    s.gupshup.deleteConsoleTemplate(appId, 'console_hello');
    expect((await api(s, token, 'POST', `/templates/sync?channelId=${ch.id}`)).status).toBe(202);
    await waitForTemplate(s, token, imported.id, (t) => t.status === 'deleted');
    s.gupshup.setCallbackUrl(ch.appName, ch.callbackUrl);
  });

  it('submits every part Gupshup takes: header variable, footer, links with a variable, phone; and authentication', async () => {
    s.gupshup.setTemplateReview({ mode: 'approve', delayMs: 50 });
    const full = await create({
      elementName: 'full_parts',
      header: 'Pedido {{1}}',
      headerParam: { name: 'Número', example: '7' },
      buttons: [
        {
          type: 'URL',
          text: 'Seguir',
          url: 'https://shop.example.com/t/{{1}}',
          example: 'https://shop.example.com/t/A-1',
        },
        { type: 'PHONE_NUMBER', text: 'Llamar', phoneNumber: '+5491123456789' },
      ],
    });
    expect(full.status).toBe(201);
    await waitForTemplate(s, token, full.body.id, (t) => t.status === 'approved');
    const meta: unknown = JSON.parse(
      s.gupshup.templates(appId).find((t) => t.elementName === 'full_parts')?.containerMeta ?? '{}',
    );
    expect(meta).toMatchObject({ header: 'Pedido {{1}}', sampleHeader: 'Pedido 7' });
    const auth = await create({
      elementName: 'login_code',
      category: 'AUTHENTICATION',
      footer: null,
      body: 'Tu código de verificación es {{1}}',
      params: [{ name: 'Código', example: '123456' }],
      buttons: [{ type: 'OTP', otpType: 'COPY_CODE', text: 'Copiar código' }],
    });
    expect(auth.status).toBe(201);
    await waitForTemplate(s, token, auth.body.id, (t) => t.status === 'approved');
  });

  it('refuses a second template with the same element name and language (409), nothing written', async () => {
    const again = await create();
    expect(again.status).toBe(409);
    expect(again.body.error.issues?.[0]).toMatchObject({ field: 'elementName', code: 'element_name_taken' });
    const sameNameOtherLanguage = await create({
      language: 'en',
      body: 'Hi {{1}}, order {{2}} is on its way.',
    });
    expect(sameNameOtherLanguage.status).toBe(201);
  });
});
