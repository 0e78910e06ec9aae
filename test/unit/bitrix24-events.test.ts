import { describe, expect, it } from 'vitest';
import {
  isInstallEvent,
  parseEvent,
  parseEventEnvelope,
  parseInstallEvent,
} from '../../src/integrations/bitrix24/events.js';
import { ValidationError } from '../../src/shared/errors.js';

// Shapes from shared/reference/bitrix24.md §1.3, §2.2 and §4, as a form parser hands them over
// (every value a string; lists arrive as arrays or as objects keyed by index).
const auth = { member_id: 'abc', application_token: 'tok', domain: 'x.bitrix24.com' };
const event = (name: string, data: unknown) => parseEvent(parseEventEnvelope({ event: name, data, auth }));
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.message;
    throw err;
  }
  throw new Error('not refused');
};

describe('Bitrix24 events', () => {
  it('reads the envelope: the name in upper case and who claims to send it', () => {
    expect(parseEventEnvelope({ event: 'OnImConnectorLineDelete', data: '7', auth })).toEqual({
      name: 'ONIMCONNECTORLINEDELETE',
      data: '7',
      memberId: 'abc',
      applicationToken: 'tok',
    });
    expect(refusal(() => parseEventEnvelope({ data: {} }))).toMatch(/^Not a Bitrix24 event: event: /);
  });

  it('reads an operator message whose lists came keyed by index', () => {
    const ev = event('ONIMCONNECTORMESSAGEADD', {
      CONNECTOR: 'whatsappb24_gupshup',
      LINE: '107',
      MESSAGES: {
        0: {
          im: { chat_id: '1807', message_id: '86497' },
          message: {
            user_id: '27',
            text: '[b]Klaus:[/b] Hi',
            files: { 0: { name: 'a.png', type: 'image' } },
          },
          chat: { id: 'channel-123' },
        },
      },
    });
    expect(ev).toEqual({
      event: 'ONIMCONNECTORMESSAGEADD',
      data: {
        connector: 'whatsappb24_gupshup',
        line: 107,
        messages: [
          {
            imChatId: 1807,
            imMessageId: 86497,
            text: '[b]Klaus:[/b] Hi',
            files: [{ name: 'a.png', type: 'image' }],
            externalChatId: 'channel-123',
            userId: 27,
          },
        ],
      },
    });
  });

  it('reads edits with their text and deletions without', () => {
    const item = (text?: string) => ({ im: { chat_id: '1', message_id: '5' }, message: { id: ['x'], text } });
    expect(event('ONIMCONNECTORMESSAGEUPDATE', { CONNECTOR: 'c', MESSAGES: [item('new')] })).toEqual({
      event: 'ONIMCONNECTORMESSAGEUPDATE',
      data: { connector: 'c', messages: [{ imMessageId: 5, text: 'new' }] },
    });
    expect(event('ONIMCONNECTORMESSAGEDELETE', { CONNECTOR: 'c', MESSAGES: [item()] })).toEqual({
      event: 'ONIMCONNECTORMESSAGEDELETE',
      data: { connector: 'c', messages: [{ imMessageId: 5 }] },
    });
  });

  it('reads line and connector removals, the line in either case', () => {
    expect(event('ONIMCONNECTORLINEDELETE', '107')).toEqual({ event: 'ONIMCONNECTORLINEDELETE', data: 107 });
    expect(event('ONIMCONNECTORSTATUSDELETE', { connector: 'c', line: '3' })).toEqual({
      event: 'ONIMCONNECTORSTATUSDELETE',
      data: { line: 3, connector: 'c' },
    });
    expect(event('ONIMCONNECTORSTATUSDELETE', { LINE: '4' })).toEqual({
      event: 'ONIMCONNECTORSTATUSDELETE',
      data: { line: 4, connector: undefined },
    });
  });

  it('acknowledges events it has no use for by name', () => {
    expect(event('ONIMCONNECTORDIALOGSTART', { LINE: '1' })).toEqual({
      event: 'other',
      name: 'ONIMCONNECTORDIALOGSTART',
    });
    expect(event('onappuninstall', { CLEAN: '1' })).toEqual({ event: 'ONAPPUNINSTALL' });
  });

  it('refuses unusable data saying why, naming fields from inside data', () => {
    expect(refusal(() => event('ONIMCONNECTORMESSAGEADD', { CONNECTOR: 'c', LINE: '1' }))).toMatch(
      /^Invalid message event: MESSAGES: /,
    );
    const huge = { im: { chat_id: '1', message_id: '1e30' }, message: {}, chat: { id: '1' } };
    expect(
      refusal(() => event('ONIMCONNECTORMESSAGEADD', { CONNECTOR: 'c', LINE: '1', MESSAGES: [huge] })),
    ).toMatch(/^Invalid message event: MESSAGES\.0\.im\.message_id: /);
    expect(refusal(() => event('ONIMCONNECTORMESSAGEUPDATE', { CONNECTOR: 'c' }))).toMatch(
      /^Invalid message event: MESSAGES: /,
    );
    expect(refusal(() => event('ONIMCONNECTORLINEDELETE', 'everything'))).toBe(
      'data must be the deleted line id',
    );
    expect(refusal(() => event('ONIMCONNECTORSTATUSDELETE', { connector: 'c', line: 'abc' }))).toBe(
      'data.line is required',
    );
    expect(refusal(() => event('ONIMCONNECTORSTATUSDELETE', undefined))).toBe('data.line is required');
  });
});

describe('ONAPPINSTALL', () => {
  const install = {
    event: 'ONAPPINSTALL',
    data: { LANGUAGE_ID: 'de' },
    auth: {
      ...auth,
      access_token: 'a',
      refresh_token: 'r',
      expires_in: '3600',
      client_endpoint: 'https://x.bitrix24.com/rest/',
      user_id: '1.5',
    },
  };

  it('is recognised whatever the case of its name', () => {
    expect(isInstallEvent({ event: 'onAppInstall' })).toBe(true);
    expect(isInstallEvent({ event: 'ONAPPUNINSTALL' })).toBe(false);
    expect(isInstallEvent(undefined)).toBe(false);
  });

  it('reads the claimed install; a user id that is not one is left out', () => {
    expect(parseInstallEvent(install)).toEqual({
      memberId: 'abc',
      domain: 'x.bitrix24.com',
      clientEndpoint: 'https://x.bitrix24.com/rest/',
      serverEndpoint: undefined,
      accessToken: 'a',
      refreshToken: 'r',
      expiresInSec: 3600,
      applicationToken: 'tok',
      lang: 'de',
      userId: undefined,
    });
    expect(refusal(() => parseInstallEvent({ ...install, auth: { member_id: 'x' } }))).toMatch(
      /^ONAPPINSTALL without usable auth: /,
    );
  });

  it('reads the CRM events: only data[FIELDS][ID], plain digits (b24restdocs crm/*/events)', () => {
    expect(event('ONCRMDEALUPDATE', { FIELDS: { ID: '759' } })).toEqual({
      event: 'ONCRMDEALUPDATE',
      data: { id: 759 },
    });
    expect(event('onCrmDealAdd', { FIELDS: { ID: '6641' } })).toEqual({
      event: 'ONCRMDEALADD',
      data: { id: 6641 },
    });
    expect(event('ONCRMLEADADD', { FIELDS: { ID: '1000983' } })).toEqual({
      event: 'ONCRMLEADADD',
      data: { id: 1000983 },
    });
    for (const id of ['abc', '', '0', '-1', '1e3', ' 12', '１２', '12\u0000', '99999999999999999']) {
      expect(refusal(() => event('ONCRMDEALUPDATE', { FIELDS: { ID: id } }))).toMatch(
        /^Invalid CRM event: FIELDS\.ID: /,
      );
    }
    expect(refusal(() => event('ONCRMLEADADD', {}))).toMatch(/^Invalid CRM event: FIELDS: /);
  });
});
