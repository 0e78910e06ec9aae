import { describe, expect, it } from 'vitest';
import {
  placeholders,
  renderTemplate,
  paramValueProblem,
  validateTemplate,
  RULE_CODES,
  type TemplateButton,
  type TemplateContent,
} from '../../../src/modules/templates/template-rules.js';
import { ruleMessage, RULE_TEXTS } from '../../../src/modules/templates/template-texts.js';

const base: TemplateContent = {
  elementName: 'order_update',
  displayName: 'Order update',
  language: 'es',
  category: 'UTILITY',
  type: 'TEXT',
  body: 'Hola {{1}}, su pedido {{2}} está en camino.',
  params: [
    { name: 'Nombre', example: 'Ana' },
    { name: 'Pedido', example: 'A-123' },
  ],
};

const auth: TemplateContent = {
  elementName: 'login_code',
  displayName: 'Código',
  language: 'es_AR',
  category: 'AUTHENTICATION',
  type: 'TEXT',
  body: 'Tu código de verificación es {{1}}',
  params: [{ name: 'Código', example: '123456' }],
  buttons: [{ type: 'OTP', otpType: 'COPY_CODE', text: 'Copiar código' }],
};

const codes = (t: TemplateContent) => validateTemplate(t).map((i) => i.code);
const qr = (text: string): TemplateButton => ({ type: 'QUICK_REPLY', text });
const url = (u: string, example?: string): TemplateButton => ({
  type: 'URL',
  text: `Ver ${u.length}`,
  url: u,
  example,
});

describe('templates that follow every rule', () => {
  const good: Array<[string, TemplateContent]> = [
    ['plain text with two placeholders', base],
    ['no placeholders, no params', { ...base, body: 'Gracias por su compra.', params: [] }],
    [
      'a text header with its own {{1}}',
      { ...base, header: 'Pedido {{1}}', headerParam: { name: 'Nº', example: '9' } },
    ],
    ['a footer', { ...base, footer: 'Responda STOP para salir' }],
    ['three quick replies', { ...base, buttons: [qr('Sí'), qr('No'), qr('Más tarde')] }],
    ['ten quick replies', { ...base, buttons: Array.from({ length: 10 }, (_, i) => qr(`Opción ${i + 1}`)) }],
    [
      'two links (one with a trailing {{1}}) and a phone',
      {
        ...base,
        buttons: [
          url('https://shop.example.com/track/{{1}}', 'https://shop.example.com/track/A-123'),
          url('https://shop.example.com/help'),
          { type: 'PHONE_NUMBER', text: 'Llamar', phoneNumber: '+5491123456789' },
        ],
      },
    ],
    [
      'copy code in marketing',
      { ...base, category: 'MARKETING', buttons: [{ type: 'COPY_CODE', example: 'PROMO10' }] },
    ],
    [
      'an image with its sample',
      { ...base, type: 'IMAGE', sampleMediaId: '0b0e2d7a-6c39-4d5c-9d7c-1a1a1a1a1a1a' },
    ],
    ['a language with a region', { ...base, language: 'pt_BR' }],
    ['authentication with its fixed text', auth],
    ['authentication in English', { ...auth, language: 'en_US', body: 'Your verification code is {{1}}' }],
    [
      'a placeholder followed by a full stop at the end',
      { ...base, body: 'Su código es {{1}} y vence {{2}}.' },
    ],
  ];
  it.each(good)('%s', (_name, t) => {
    expect(validateTemplate(t)).toEqual([]);
  });
});

describe('templates that break a rule', () => {
  const bad: Array<[string, TemplateContent, string]> = [
    ['an empty element name', { ...base, elementName: '' }, 'element_name_required'],
    ['capitals in the element name', { ...base, elementName: 'Order_Update' }, 'element_name_format'],
    ['a space in the element name', { ...base, elementName: 'order update' }, 'element_name_format'],
    ['a dash in the element name', { ...base, elementName: 'order-update' }, 'element_name_format'],
    ['an element name of 181 characters', { ...base, elementName: 'a'.repeat(181) }, 'element_name_too_long'],
    ['a blank display name', { ...base, displayName: '   ' }, 'display_name_required'],
    ['a made-up language', { ...base, language: 'spanish' }, 'language_format'],
    ['a lowercase region', { ...base, language: 'en_us' }, 'language_format'],
    ['an unknown category', { ...base, category: 'PROMO' }, 'category_invalid'],
    ['an unknown type', { ...base, type: 'LOCATION' }, 'type_invalid'],
    ['a header of 61 characters', { ...base, header: 'h'.repeat(61) }, 'header_too_long'],
    ['a header on two lines', { ...base, header: 'Hola\nAna' }, 'header_newline'],
    [
      'a text header on an image template',
      { ...base, type: 'IMAGE', header: 'Hola', sampleMediaId: 'x' },
      'header_media_type',
    ],
    [
      'two header variables',
      { ...base, header: '{{1}} y {{2}}', headerParam: { name: 'a', example: 'b' } },
      'header_too_many_variables',
    ],
    [
      'a header variable that is not {{1}}',
      { ...base, header: 'Pedido {{2}}', headerParam: { name: 'a', example: 'b' } },
      'header_variable_number',
    ],
    ['a header variable without its example', { ...base, header: 'Pedido {{1}}' }, 'header_param_required'],
    [
      'a body of 1025 characters',
      { ...base, body: `Hola {{1}} ${'x'.repeat(1010)} {{2}} fin` },
      'body_too_long',
    ],
    ['an empty body', { ...base, body: ' ', params: [] }, 'body_required'],
    ['a footer of 61 characters', { ...base, footer: 'f'.repeat(61) }, 'footer_too_long'],
    ['a variable in the footer', { ...base, footer: 'Hasta {{1}}' }, 'footer_has_variable'],
    [
      'a placeholder with spaces',
      { ...base, body: 'Hola {{ 1 }}, pedido {{2}} listo.', params: base.params },
      'placeholder_malformed',
    ],
    [
      'a named placeholder',
      { ...base, body: 'Hola {{nombre}}, listo.', params: [] },
      'placeholder_malformed',
    ],
    ['a gap in the numbers', { ...base, body: 'Hola {{1}}, pedido {{3}} listo.' }, 'placeholder_missing'],
    [
      'a repeated placeholder',
      { ...base, body: 'Hola {{1}}, {{2}} y otra vez {{1}}.' },
      'placeholder_repeated',
    ],
    ['placeholders out of order', { ...base, body: 'Pedido {{2}} para {{1}} listo.' }, 'placeholder_order'],
    [
      'a body starting with a placeholder',
      { ...base, body: '{{1}}, su pedido {{2}} está listo.' },
      'placeholder_at_start',
    ],
    [
      'a body ending with a placeholder',
      { ...base, body: 'Hola {{1}}, su pedido es {{2}}' },
      'placeholder_at_end',
    ],
    ['two placeholders side by side', { ...base, body: 'Hola {{1}} {{2}}, listo.' }, 'placeholders_adjacent'],
    ['one param too few', { ...base, params: [{ name: 'Nombre', example: 'Ana' }] }, 'params_count'],
    [
      'a param without a name',
      { ...base, params: [{ name: ' ', example: 'Ana' }, base.params[1]!] },
      'param_name_required',
    ],
    [
      'two params with one name',
      {
        ...base,
        params: [
          { name: 'X', example: 'Ana' },
          { name: 'x', example: '1' },
        ],
      },
      'param_name_repeated',
    ],
    [
      'a param without an example',
      { ...base, params: [{ name: 'Nombre', example: '' }, base.params[1]!] },
      'param_example_required',
    ],
    [
      'an example with a line break',
      { ...base, params: [{ name: 'Nombre', example: 'Ana\nMaría' }, base.params[1]!] },
      'param_example_format',
    ],
    [
      'an example with a tab',
      { ...base, params: [{ name: 'Nombre', example: 'Ana\tM' }, base.params[1]!] },
      'param_example_format',
    ],
    [
      'an example with four spaces',
      { ...base, params: [{ name: 'Nombre', example: 'Ana    M' }, base.params[1]!] },
      'param_example_format',
    ],
    [
      'quick replies with a link',
      { ...base, buttons: [qr('Sí'), url('https://a.example.com')] },
      'buttons_mixed',
    ],
    [
      'quick replies with copy code',
      { ...base, category: 'MARKETING', buttons: [qr('Sí'), { type: 'COPY_CODE', example: 'X1' }] },
      'buttons_mixed',
    ],
    [
      'eleven quick replies',
      { ...base, buttons: Array.from({ length: 11 }, (_, i) => qr(`O${i}`)) },
      'quick_replies_too_many',
    ],
    [
      'three links',
      {
        ...base,
        buttons: [
          url('https://a.example.com/1'),
          url('https://a.example.com/22'),
          url('https://a.example.com/333'),
        ],
      },
      'url_buttons_too_many',
    ],
    [
      'two phones',
      {
        ...base,
        buttons: [
          { type: 'PHONE_NUMBER', text: 'A', phoneNumber: '+5491123456789' },
          { type: 'PHONE_NUMBER', text: 'B', phoneNumber: '+5491123456780' },
        ],
      },
      'phone_buttons_too_many',
    ],
    [
      'two copy codes',
      {
        ...base,
        category: 'MARKETING',
        buttons: [
          { type: 'COPY_CODE', example: 'A' },
          { type: 'COPY_CODE', example: 'B' },
        ],
      },
      'copy_code_buttons_too_many',
    ],
    ['a button text of 26 characters', { ...base, buttons: [qr('b'.repeat(26))] }, 'button_text_too_long'],
    ['an empty button text', { ...base, buttons: [qr(' ')] }, 'button_text_required'],
    ['two buttons with one text', { ...base, buttons: [qr('Sí'), qr('sí')] }, 'button_text_repeated'],
    ['a plain http link', { ...base, buttons: [url('http://a.example.com')] }, 'button_url_invalid'],
    ['a link that is not a URL', { ...base, buttons: [url('www.example.com')] }, 'button_url_invalid'],
    [
      'a variable inside a link',
      { ...base, buttons: [url('https://a.example.com/{{1}}/x', 'https://a.example.com/1/x')] },
      'button_url_variable',
    ],
    [
      'a second link variable',
      { ...base, buttons: [url('https://a.example.com/{{2}}', 'https://a.example.com/1')] },
      'button_url_variable',
    ],
    [
      'a link variable without example',
      { ...base, buttons: [url('https://a.example.com/t/{{1}}')] },
      'button_url_example_required',
    ],
    [
      'a link example on another site',
      { ...base, buttons: [url('https://a.example.com/t/{{1}}', 'https://b.example.com/t/1')] },
      'button_url_example_invalid',
    ],
    [
      'a phone without +',
      { ...base, buttons: [{ type: 'PHONE_NUMBER', text: 'Llamar', phoneNumber: '5491123456789' }] },
      'button_phone_invalid',
    ],
    [
      'copy code in utility',
      { ...base, buttons: [{ type: 'COPY_CODE', example: 'X1' }] },
      'copy_code_marketing_only',
    ],
    [
      'a copy code of 16 characters',
      { ...base, category: 'MARKETING', buttons: [{ type: 'COPY_CODE', example: 'C'.repeat(16) }] },
      'copy_code_example_too_long',
    ],
    [
      'an OTP button in marketing',
      { ...base, category: 'MARKETING', buttons: [{ type: 'OTP', otpType: 'COPY_CODE' }] },
      'otp_authentication_only',
    ],
    [
      'an unknown button type',
      { ...base, buttons: [{ type: 'FLOW', text: 'x' } as unknown as TemplateButton] },
      'button_type_invalid',
    ],
    ['authentication with an image', { ...auth, type: 'IMAGE', sampleMediaId: 'x' }, 'auth_text_only'],
    ['authentication with a header', { ...auth, header: 'Código' }, 'auth_no_header'],
    ['authentication with a footer', { ...auth, footer: 'Vence en 5 minutos' }, 'auth_no_footer'],
    ['authentication with its own text', { ...auth, body: 'Su código: {{1}}.' }, 'auth_body_fixed'],
    ['authentication in French', { ...auth, language: 'fr' }, 'auth_language'],
    ['authentication without the OTP button', { ...auth, buttons: [] }, 'auth_otp_button'],
    [
      'authentication with a quick reply as well',
      { ...auth, buttons: [...auth.buttons!, qr('Sí')] },
      'auth_otp_button',
    ],
    ['a video without its sample', { ...base, type: 'VIDEO' }, 'sample_media_required'],
    ['a text template with a sample file', { ...base, sampleMediaId: 'x' }, 'sample_media_unused'],
  ];
  it.each(bad)('%s', (_name, t, code) => {
    expect(codes(t)).toContain(code);
  });

  it('names the field at fault, with its position', () => {
    const issues = validateTemplate({ ...base, buttons: [qr('Sí'), qr('b'.repeat(30))] });
    expect(issues).toEqual([
      { field: 'buttons.1.text', code: 'button_text_too_long', params: { max: 25, length: 30 } },
    ]);
  });
});

describe('placeholders and rendering', () => {
  it('lists well-formed placeholders in order, repeats included', () => {
    expect(placeholders('a {{2}} b {{1}} c {{2}} {{ 3 }} {{x}}')).toEqual([2, 1, 2]);
  });

  it('fills each {{n}} with its value and leaves the unfilled ones', () => {
    expect(renderTemplate({ body: 'Hola {{1}}, pedido {{2}}; {{3}}.' }, ['Ana', 'A-1'])).toBe(
      'Hola Ana, pedido A-1; {{3}}.',
    );
  });

  it('checks values sent for placeholders as WhatsApp does', () => {
    expect(paramValueProblem('Ana María')).toBeUndefined();
    expect(paramValueProblem('  ')).toBe('empty');
    expect(paramValueProblem('a\nb')).toBe('format');
    expect(paramValueProblem('a    b')).toBe('format');
  });
});

describe('rule texts', () => {
  it('words every rule in es, en and pt', () => {
    for (const code of RULE_CODES) {
      const entry = (RULE_TEXTS as Record<string, string[]>)[code];
      expect(entry?.length, code).toBe(3);
      expect(entry?.every((s) => s.length > 0)).toBe(true);
    }
  });

  it('says precisely which placeholder is missing, in the caller’s language', () => {
    const [issue] = validateTemplate({
      ...base,
      body: 'Hola {{1}}, pedido {{2}} y {{4}}.',
      params: [...base.params, { name: 'c', example: 'd' }],
    });
    expect(issue).toMatchObject({ field: 'body', code: 'placeholder_missing' });
    expect(ruleMessage('en', issue!)).toBe(
      'Placeholder {{3}} is missing: placeholders must run from {{1}} without gaps',
    );
    expect(ruleMessage('es', issue!)).toBe('Falta la variable {{3}}: deben ir desde {{1}} sin saltos');
  });

  it('numbers parameters and buttons from 1', () => {
    expect(ruleMessage('en', { field: 'params.1.name', code: 'param_name_required' })).toBe(
      'Parameter {{2}}: give it a name for the agents',
    );
    expect(ruleMessage('pt', { field: 'buttons.0.text', code: 'button_text_required' })).toBe(
      'Botão 1: escreva o texto',
    );
  });
});
