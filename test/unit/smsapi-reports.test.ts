import { describe, expect, it } from 'vitest';
import { parseDeliveryReports, SmsapiReportError } from '../../src/integrations/smsapi/smsapi.client.js';

describe('parseDeliveryReports', () => {
  it('reads one report (GET query as strings)', () => {
    expect(
      parseDeliveryReports({
        MsgId: '613F1B1F3738633F0B3C2E3A',
        status: '404',
        status_name: 'DELIVERED',
        idx: 'sms-42',
        donedate: '1764547200',
        points: '0.16',
        username: 'someone',
        to: '48500100200',
      }),
    ).toEqual([
      {
        msgId: '613F1B1F3738633F0B3C2E3A',
        idx: 'sms-42',
        status: 404,
        statusName: 'DELIVERED',
        doneAt: new Date(1764547200 * 1000),
        points: 0.16,
      },
    ]);
  });

  it('reads comma-separated lists, one entry per message, and names statuses without status_name', () => {
    const r = parseDeliveryReports({ MsgId: 'A1,B2', status: '403,405', idx: 'x,', donedate: ',' });
    expect(r).toEqual([
      { msgId: 'A1', idx: 'x', status: 403, statusName: 'SENT', doneAt: null, points: null },
      { msgId: 'B2', idx: null, status: 405, statusName: 'UNDELIVERED', doneAt: null, points: null },
    ]);
  });

  it('reads repeated parameters (a form body parsed to arrays)', () => {
    const r = parseDeliveryReports({ MsgId: ['A1', 'B2'], status: ['404', '406'] });
    expect(r.map((x) => x.statusName)).toEqual(['DELIVERED', 'FAILED']);
  });

  it('gives an unknown code the name UNKNOWN', () => {
    expect(parseDeliveryReports({ MsgId: 'A1', status: '499' })[0]!.statusName).toBe('UNKNOWN');
  });

  const malformed: Array<[string, unknown]> = [
    ['nothing', undefined],
    ['not an object', 'MsgId=1'],
    ['no MsgId', { status: '404' }],
    ['no status', { MsgId: 'A1' }],
    ['lists of different lengths', { MsgId: 'A1,B2', status: '404' }],
    ['idx list too short', { MsgId: 'A1,B2', status: '404,404', idx: 'x' }],
    ['status not a code', { MsgId: 'A1', status: 'DELIVERED' }],
    ['empty MsgId', { MsgId: '', status: '404' }],
    ['MsgId with odd characters', { MsgId: 'A1<script>', status: '404' }],
    ['unicode in idx', { MsgId: 'A1', status: '404', idx: 'ｓｍｓ' }],
    ['donedate not unix time', { MsgId: 'A1', status: '404', donedate: '2026-12-01' }],
    ['points not a number', { MsgId: 'A1', status: '404', points: 'free' }],
    ['object values', { MsgId: { a: 1 }, status: '404' }],
  ];

  it.each(malformed)('refuses %s with SmsapiReportError', (_name, input) => {
    expect(() => parseDeliveryReports(input)).toThrow(SmsapiReportError);
  });

  it('refuses more than 1000 reports in one callback', () => {
    const ids = Array.from({ length: 1001 }, (_, i) => `M${i}`).join(',');
    const st = Array.from({ length: 1001 }, () => '404').join(',');
    expect(() => parseDeliveryReports({ MsgId: ids, status: st })).toThrow(SmsapiReportError);
  });
});
