import { describe, expect, it } from 'vitest';
import { parseGupshupCallback } from '../../src/integrations/gupshup/gupshup.webhook.js';
import { inboundText } from '../../src/modules/messaging/inbound/inbound-text.js';
import { ValidationError } from '../../src/shared/errors.js';

// Payload shapes from shared/reference/gupshup.md §3.2–§3.4.
const env = (type: string, payload: unknown) => ({
  app: 'DemoApp',
  timestamp: 1580227766370,
  version: 2,
  type,
  payload,
});

describe('Gupshup callbacks', () => {
  it('reads an inbound text message', () => {
    const cb = parseGupshupCallback(
      env('message', {
        id: 'ABEGkYaYVSEEAhAL3SLAWwHKeKrt6s3FKB0c',
        source: '918x98xx21x4'.replace(/x/g, '0'),
        type: 'text',
        payload: { text: 'Hi' },
        sender: { phone: '918098002104', name: 'Smit', country_code: '91', dial_code: '8098002104' },
      }),
    );
    expect(cb).toMatchObject({
      kind: 'message',
      waMessageId: 'ABEGkYaYVSEEAhAL3SLAWwHKeKrt6s3FKB0c',
      phone: '918098002104',
      name: 'Smit',
      timestampMs: 1580227766370,
    });
  });

  it('keys status events by gsId, falling back to id (enqueued, sync failures)', () => {
    const sent = parseGupshupCallback(
      env('message-event', {
        id: 'wamid.1',
        gsId: 'gs-1',
        type: 'sent',
        destination: '918098002104',
        payload: { ts: 1585344475 },
      }),
    );
    expect(sent).toMatchObject({
      kind: 'status',
      status: 'sent',
      gupshupId: 'gs-1',
      hasGsId: true,
      timestampMs: 1585344475000,
    });
    const enq = parseGupshupCallback(
      env('message-event', {
        id: 'gs-2',
        type: 'enqueued',
        destination: '918098002104',
        payload: { whatsappMessageId: 'gBEG1', type: 'session' },
      }),
    );
    expect(enq).toMatchObject({ gupshupId: 'gs-2', hasGsId: false, whatsappMessageId: 'gBEG1' });
    const failed = parseGupshupCallback(
      env('message-event', {
        id: 'gs-3',
        type: 'failed',
        destination: '91',
        payload: { code: 1002, reason: 'Number Does Not Exist On WhatsApp' },
      }),
    );
    expect(failed).toMatchObject({ status: 'failed', code: '1002', gupshupId: 'gs-3' });
  });

  it('acknowledges other event types without failing', () => {
    expect(
      parseGupshupCallback(env('user-event', { phone: 'callbackSetPhone', type: 'sandbox-start' })),
    ).toMatchObject({ kind: 'other', type: 'user-event', subtype: 'sandbox-start' });
  });

  it('reads both shapes of a billing-event (§3.6) and refuses one that names no message', () => {
    const pmp = {
      deductions: {
        type: 'regular',
        model: 'PMP',
        source: 'whatsapp',
        billable: true,
        category: 'marketing',
      },
      references: { id: 'wamid.1', gsId: 'gs-1', destination: '5491155550101' },
    };
    expect(parseGupshupCallback(env('billing-event', pmp))).toEqual({
      kind: 'billing',
      app: 'DemoApp',
      gupshupId: 'gs-1',
      whatsappId: 'wamid.1',
      billable: true,
      model: 'PMP',
      category: 'marketing',
    });
    const cbp = {
      deductions: { type: 'service', model: 'CBP', conversationType: 'service', billable: false },
      references: { id: 'wamid.2', gsId: 'gs-2', conversationId: 'c-1', destination: '91' },
    };
    expect(parseGupshupCallback(env('billing-event', cbp))).toMatchObject({
      kind: 'billing',
      gupshupId: 'gs-2',
      billable: false,
      category: 'service',
    });
    expect(() => parseGupshupCallback(env('billing-event', { deductions: {}, references: {} }))).toThrow(
      /billing-event.*names its message/,
    );
    expect(() => parseGupshupCallback(env('billing-event', { references: { gsId: 'x' } }))).toThrow(
      ValidationError,
    );
  });

  it('refuses v3 bodies and non-callbacks by name', () => {
    expect(() => parseGupshupCallback({ object: 'whatsapp_business_account', entry: [] })).toThrow(/v3/);
    expect(() => parseGupshupCallback([1])).toThrow(ValidationError);
    expect(() => parseGupshupCallback(env('message', { id: 'x', type: 'text' }))).toThrow(/sender/);
  });
});

describe('inbound message text for the open line', () => {
  it.each([
    ['text', { text: 'Hola' }, 'Hola'],
    ['image', { url: 'https://f/1', caption: 'mi foto' }, '🖼️ Image\nmi foto'],
    ['file', { url: 'https://f/2', name: 'factura.pdf (files)' }, '📄 Document: factura.pdf'],
    [
      'location',
      { longitude: '72.85', latitude: '19.14' },
      '📍 Location\nhttps://maps.google.com/?q=19.14,72.85',
    ],
    [
      'contact',
      { contacts: [{ name: { formattedName: 'John Smith' }, phones: [{ phone: '+1 650 555 1234' }] }] },
      '👤 Contact\nJohn Smith · +1 650 555 1234',
    ],
    ['button_reply', { title: 'First', id: 'qr1', reply: 'First 1' }, 'First'],
    ['list_reply', { title: 'Row 1', id: 'list1', reply: 'Row 1 1', postbackText: 'row1' }, 'Row 1'],
    ['quick_reply', { text: 'Yes', type: 'button' }, 'Yes'],
    ['reaction', { emoji: '👍' }, 'Reaction: 👍'],
    ['order', {}, '[order]'],
    // Where the reference's pages disagree (§3.3 [conflict]), both shapes read the same.
    ['quick_reply', { title: 'First', id: 'qr1', reply: 'First 1' }, 'First'],
    ['text', { text: 'Yes', type: 'button', postbackText: 'yes' }, 'Yes'],
    [
      'contact',
      {
        contacts: [
          {
            name: { first_name: 'Jane', formatted_name: 'Jane Doe', last_name: 'Doe' },
            phones: [
              { phone: '+44 20 7946 0000', type: 'CELL' },
              { phone: '+44 7700 900000', wa_id: '447700900000' },
            ],
          },
        ],
      },
      '👤 Contact\nJane Doe · +44 20 7946 0000 · +44 7700 900000',
    ],
    [
      'contact',
      { contacts: [{ name: { firstName: 'John', lastName: 'Smith' }, phones: [] }] },
      '👤 Contact\nJohn Smith',
    ],
    [
      'location',
      { longitude: 72.85, latitude: 19.14, name: 'Office', address: 'Street 1' },
      '📍 Location\nOffice, Street 1\nhttps://maps.google.com/?q=19.14,72.85',
    ],
    ['video', { url: 'https://f/3', contentType: 'video/mp4', caption: 'mira' }, '🎬 Video\nmira'],
    ['audio', { url: 'https://f/4', contentType: 'audio/ogg; codecs=opus' }, '🎤 Audio'],
    ['sticker', { url: 'https://f/5', contentType: 'image/webp' }, '🏷️ Sticker'],
    ['reaction', { emoji: '' }, 'Reaction removed'],
  ])('%s', (type, payload, expected) => {
    expect(inboundText(type, payload)).toBe(expected);
  });
});
