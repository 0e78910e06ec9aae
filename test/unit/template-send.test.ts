import { parse, stringify } from 'qs';
import { describe, expect, it } from 'vitest';
import { parseRobotCall } from '../../src/integrations/bitrix24/robot.js';
import { robotFields } from '../../src/integrations/bitrix24/template-widgets.js';
import { GupshupClient, GupshupSendError } from '../../src/integrations/gupshup/gupshup.client.js';
import { gupshupTemplateHeader } from '../../src/integrations/gupshup/messages.js';
import { isAgentNote } from '../../src/modules/messaging/outbound/operator-text.js';
import { ValidationError } from '../../src/shared/errors.js';
import { RECORD_MARK } from '../../src/shared/texts.js';
import type { HttpClient, HttpRequest } from '../../src/shared/http/http-client.js';
import { issueText, sendText, SEND_TEXT_KEYS } from '../../src/modules/templates/send-texts.js';
import { TemplateOutbound } from '../../src/modules/templates/template-outbound.js';
import {
  firstPhone,
  headerMediaIssue,
  headerRule,
  normalisePhone,
  paramSlots,
  renderMessage,
  resolveParams,
  type SendableTemplate,
} from '../../src/modules/templates/template-send-rules.js';
import type {
  TemplateForSend,
  TemplateSendRepository,
} from '../../src/modules/templates/template-send.repository.js';

const text = (o: Partial<SendableTemplate> = {}): SendableTemplate => ({
  templateType: 'TEXT',
  header: null,
  body: 'Hola {{1}}, su pedido {{2}} está listo.',
  footer: null,
  params: [
    { name: 'nombre', example: 'Ana' },
    { name: 'pedido', example: 'A-1' },
  ],
  ...o,
});

describe('template send rules', () => {
  it('normalises numbers to E.164 digits and refuses what is not one', () => {
    expect(normalisePhone('+54 9 11 5555-0001')).toBe('5491155550001');
    expect(normalisePhone('0054 (9) 11.5555.0001')).toBe('5491155550001');
    expect(normalisePhone('5491155550001')).toBe('5491155550001');
    for (const bad of ['', '12345', '+0123456789', '54911555500011234', 'abc5491155550001', '54 911 x']) {
      expect(normalisePhone(bad), bad).toBeNull();
    }
    expect(firstPhone('WORK: +54 9 11 5555-0001, MOBILE: +54 9 11 5555-0002')).toBe('5491155550001');
    expect(firstPhone('sin teléfono')).toBeNull();
  });

  it('takes values by position or by name, every one required and in WhatsApp’s format', () => {
    const t = text();
    expect(resolveParams(t, ['Ana', 'B-7'])).toEqual({ params: ['Ana', 'B-7'] });
    expect(resolveParams(t, { pedido: 'B-7', nombre: 'Ana' })).toEqual({ params: ['Ana', 'B-7'] });
    expect(resolveParams(t, { 1: 'Ana', 2: 'B-7' })).toEqual({ params: ['Ana', 'B-7'] });
    const codes = (input: Parameters<typeof resolveParams>[1]) => {
      const r = resolveParams(t, input);
      return 'issues' in r ? r.issues.map((i) => `${i.field}:${i.code}`) : [];
    };
    expect(codes(['Ana'])).toEqual(['params:param_count']);
    expect(codes({ nombre: 'Ana' })).toEqual(['params.pedido:param_empty']);
    expect(codes({ nombre: 'Ana', pedido: 'x', otro: 'y' })).toEqual(['params.otro:param_unknown']);
    expect(codes(['Ana', 'a\nb'])).toEqual(['params.pedido:param_format']);
    expect(codes(['Ana', 'a    b'])).toEqual(['params.pedido:param_format']);
    expect(codes(['Ana', 'x'.repeat(1025)])).toEqual(['params.pedido:param_too_long']);
    expect(resolveParams(text({ body: 'Sin variables' }), undefined)).toEqual({ params: [] });
  });

  it('puts a text header’s variable first, as Gupshup fills them in order of appearance', () => {
    const t = text({
      header: 'Pedido {{1}}',
      headerParam: { name: 'codigo', example: 'A-1' },
      footer: 'Gracias',
    });
    expect(paramSlots(t).map((x) => `${x.part}:${x.name}`)).toEqual([
      'header:codigo',
      'body:nombre',
      'body:pedido',
    ]);
    const r = resolveParams(t, { codigo: 'Z-9', nombre: 'Ana', pedido: 'B-7' });
    expect(r).toEqual({ params: ['Z-9', 'Ana', 'B-7'] });
    expect(renderMessage(t, ['Z-9', 'Ana', 'B-7'])).toBe(
      'Pedido Z-9\nHola Ana, su pedido B-7 está listo.\nGracias',
    );
    // A media template's header is a file, not text: no slot for it.
    expect(paramSlots(text({ templateType: 'IMAGE', header: 'ignored {{1}}' }))).toHaveLength(2);
  });

  it('knows the header file each template type needs (seed 001 limits)', () => {
    expect(headerRule('TEXT')).toBeNull();
    const image = headerRule('IMAGE');
    expect(image?.kind).toBe('image');
    if (!image) return;
    expect(headerMediaIssue(image, { mime: 'image/png', size: 1000 })).toBeUndefined();
    expect(headerMediaIssue(image, { mime: 'application/pdf', size: 1000 })).toBe('media_type');
    expect(headerMediaIssue(image, { mime: 'image/jpeg', size: 3 * 1024 * 1024 })).toBe('media_too_large');
    expect(headerRule('VIDEO')?.maxBytes).toBe(5 * 1024 * 1024);
    expect(gupshupTemplateHeader({ kind: 'document', url: 'https://x/a', filename: 'a.pdf' })).toEqual({
      type: 'document',
      document: { link: 'https://x/a', filename: 'a.pdf' },
    });
  });

  it('has every text in es, en and pt', () => {
    for (const code of SEND_TEXT_KEYS.issues) {
      const words = (['es', 'en', 'pt'] as const).map((l) => issueText(l, { code }));
      expect(new Set(words).size, code).toBeGreaterThan(1);
      for (const w of words) expect(w, code).not.toBe(code);
    }
    for (const key of SEND_TEXT_KEYS.other) {
      for (const l of ['es', 'en', 'pt'] as const) expect(sendText(l, key), key).not.toBe(key);
    }
  });
});

const template = (o: Partial<TemplateForSend> = {}): TemplateForSend => ({
  id: 't1',
  portal_id: 1,
  channel_id: 'c1',
  element_name: 'aviso',
  display_name: 'Aviso',
  language: 'es',
  category: 'UTILITY',
  template_type: 'TEXT',
  header: null,
  body: 'Hola {{1}}',
  footer: null,
  buttons: [],
  params: [{ name: 'nombre', example: 'Ana' }],
  header_param: null,
  status: 'approved',
  status_reason: null,
  gupshup_id: 'gs-1',
  active: true,
  line_ids: [1],
  ...o,
});

function composer(t: TemplateForSend | undefined) {
  const repo = { template: () => Promise.resolve(t) } as unknown as TemplateSendRepository;
  return new TemplateOutbound({
    repo,
    links: { url: (id) => `https://app/media/${id}` },
    header: gupshupTemplateHeader,
    cards: { phones: () => Promise.resolve([]) },
    nudge: () => undefined,
  });
}

describe('a template message at send time', () => {
  const m = (content: Record<string, unknown>) => ({
    id: 7,
    portal_id: 1,
    content: { template: { id: 't1' }, params: ['Ana'], ...content },
  });

  it('goes as Gupshup’s template id and values, with the header file behind our link', async () => {
    expect(await composer(template()).compose(m({}))).toEqual({ template: { id: 'gs-1', params: ['Ana'] } });
    const header = { mediaId: 'm1', name: 'promo.png', mime: 'image/png', size: 2000 };
    expect(await composer(template({ template_type: 'IMAGE' })).compose(m({ header }))).toEqual({
      template: { id: 'gs-1', params: ['Ana'] },
      message: { type: 'image', image: { link: 'https://app/media/m1' } },
    });
  });

  it('is not sent when the template changed since it was queued, and says why', async () => {
    const code = async (t: TemplateForSend | undefined, content: Record<string, unknown> = {}) => {
      const r = await composer(t).compose(m(content));
      return 'refuse' in r ? r.refuse.code : 'sent';
    };
    expect(await code(template({ status: 'paused' }))).toBe('template_paused');
    expect(await code(template({ status: 'disabled' }))).toBe('template_disabled');
    expect(await code(template({ active: false }))).toBe('template_inactive');
    expect(await code(undefined)).toBe('template_deleted');
    expect(await code(template({ template_type: 'IMAGE' }))).toBe('header_media_missing');
    const pdf = { mediaId: 'm1', name: 'a.pdf', mime: 'application/pdf', size: 10 };
    expect(await code(template({ template_type: 'IMAGE' }), { header: pdf })).toBe('header_media_invalid');
    const crm = { kind: 'crm', entityType: 'contact', entityId: 1 };
    expect(await code(template(), { origin: crm })).toBe('phone_not_on_card');
    expect(await code(template(), { origin: crm, phoneChecked: true })).toBe('sent');
  });

  it('waits (throws) while a header given by link is still being re-hosted', async () => {
    const c = composer(template({ template_type: 'IMAGE' }));
    await expect(c.compose(m({ file: { name: 'a.png', link: 'https://x/a.png' } }))).rejects.toThrow(
      /media_not_ready/,
    );
  });
});

describe('the record of a sent template in the chat', () => {
  it('is never sent to the customer should Bitrix24 hand it to the connector, signed or not', () => {
    expect(isAgentNote(`${RECORD_MARK} plantilla «Aviso»[br]Hola Ana`)).toBe(true);
    expect(isAgentNote(`[b]Bruno Agente:[/b][br] ${RECORD_MARK} plantilla «Aviso»[br]Hola Ana`)).toBe(true);
    expect(isAgentNote('Hola Ana, 📤 WhatsApp: no es una marca aquí')).toBe(false);
  });
});

describe('the robot’s side of Bitrix24', () => {
  const call = {
    event_token: 'tok',
    workflow_id: 'wf',
    code: 'whatsappb24_send_template',
    document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_9'],
    properties: { channel: '549110', template: 'aviso', phone: '+54 9 11', params: { 0: 'a', 1: 'b' } },
    auth: { member_id: 'm', application_token: 'a' },
  };

  it('reads a call, form-encoded like an event', () => {
    const r = parseRobotCall(parse(stringify(call)));
    expect(r).toMatchObject({ eventToken: 'tok', document: 'DEAL_9', memberId: 'm', applicationToken: 'a' });
    expect(r.properties).toEqual({
      channel: '549110',
      template: 'aviso',
      phone: '+54 9 11',
      params: ['a', 'b'],
      mediaUrl: '',
    });
    expect(parseRobotCall({ ...call, properties: { params: 'solo' } }).properties.params).toEqual(['solo']);
  });

  it('refuses what is not a robot call', () => {
    expect(() => parseRobotCall({ ...call, event_token: undefined })).toThrow(ValidationError);
    expect(() => parseRobotCall({ ...call, auth: undefined })).toThrow(ValidationError);
    expect(() => parseRobotCall('x')).toThrow(ValidationError);
  });

  it('registers property keys Bitrix24 accepts', () => {
    const f = robotFields('https://app/b24/robot/send-template');
    for (const key of [
      ...Object.keys(f.PROPERTIES as object),
      ...Object.keys(f.RETURN_PROPERTIES as object),
    ]) {
      expect(key).toMatch(/^[a-zA-Z][a-zA-Z0-9_]*$/);
    }
  });
});

describe('Gupshup template send', () => {
  const fake = (status: number, text: string) => {
    const seen: HttpRequest[] = [];
    const http = {
      send: (req: HttpRequest) => {
        seen.push(req);
        return Promise.resolve({ status, text, headers: {} });
      },
    } as unknown as HttpClient;
    return { client: new GupshupClient(http, 'https://gs'), seen };
  };
  const input = {
    apiKey: 'k',
    appName: 'App',
    source: '5491100000001',
    destination: '5491100009999',
    template: { id: 'gs-1', params: ['Ana'] },
    message: { type: 'image', image: { link: 'https://a/b' } },
  };

  it('posts the template and header as JSON strings to /wa/api/v1/template/msg', async () => {
    const { client, seen } = fake(202, '{"status":"submitted","messageId":"g-1"}');
    expect(await client.sendTemplate(input)).toEqual({ messageId: 'g-1' });
    expect(seen[0]?.url).toBe('https://gs/wa/api/v1/template/msg');
    const form = new URLSearchParams(String(seen[0]?.body));
    expect(JSON.parse(form.get('template') ?? '')).toEqual({ id: 'gs-1', params: ['Ana'] });
    expect(JSON.parse(form.get('message') ?? '')).toEqual(input.message);
    expect(form.get('src.name')).toBe('App');
    expect(form.get('postbackTexts')).toBeNull();
  });

  it('reports an unreadable 2xx as an unknown outcome, a 4xx as refused', async () => {
    const unknown = await fake(200, 'ok')
      .client.sendTemplate(input)
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(GupshupSendError);
    expect((unknown as GupshupSendError).outcomeUnknown).toBe(true);
    const refused = await fake(400, '{"status":"error","message":"Invalid Template"}')
      .client.sendTemplate(input)
      .catch((e: unknown) => e);
    expect((refused as GupshupSendError).outcomeUnknown).toBe(false);
    expect((refused as GupshupSendError).retryable).toBe(false);
  });
});
