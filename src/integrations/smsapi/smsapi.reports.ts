/**
 * SMSAPI's delivery-report callback (reference payments-and-sms.md §4.4, parameter names "as commonly
 * implemented", §7): `MsgId`, `status`, `status_name`, `idx`, `donedate` (unix seconds), `points`,
 * each a comma-separated list with one entry per message when SMSAPI batches reports. The callback is
 * untrusted: anything that does not line up is refused whole with SmsapiReportError (the route
 * answers 400), never half-read.
 */
import { DLR_STATUS_NAMES, deliveryReportParams, points as pointsValue } from './smsapi.shapes.js';

export interface DeliveryReport {
  msgId: string;
  idx: string | null;
  status: number;
  statusName: string;
  doneAt: Date | null;
  points: number | null;
}

export class SmsapiReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmsapiReportError';
  }
}

const MAX_REPORTS = 1_000;
const MSG_ID = /^[A-Za-z0-9._-]{1,64}$/;
const IDX = /^[\x21-\x7e]{0,255}$/; // printable ASCII, as our own idx values are

function column(name: string, values: string[] | undefined, n: number): Array<string | undefined> {
  if (values === undefined) return Array.from({ length: n }, () => undefined);
  if (values.length !== n) throw new SmsapiReportError(`${name} has ${values.length} entries for ${n} MsgId`);
  return values;
}

export function parseDeliveryReports(input: unknown): DeliveryReport[] {
  const r = deliveryReportParams.safeParse(input);
  if (!r.success) throw new SmsapiReportError('missing or malformed MsgId/status');
  const p = r.data;
  const n = p.MsgId.length;
  if (n > MAX_REPORTS) throw new SmsapiReportError(`more than ${MAX_REPORTS} reports`);
  const status = column('status', p.status, n);
  const names = column('status_name', p.status_name, n);
  const idx = column('idx', p.idx, n);
  const done = column('donedate', p.donedate, n);
  const pts = column('points', p.points, n);
  return p.MsgId.map((msgId, i) => {
    if (!MSG_ID.test(msgId)) throw new SmsapiReportError(`MsgId #${i + 1} is malformed`);
    const code = Number(status[i]);
    if (!/^\d{3}$/.test(status[i] ?? '')) throw new SmsapiReportError(`status #${i + 1} is not a code`);
    const id = idx[i];
    if (id !== undefined && !IDX.test(id)) throw new SmsapiReportError(`idx #${i + 1} is malformed`);
    const name = names[i];
    return {
      msgId,
      idx: id ? id : null,
      status: code,
      statusName: name && /^[A-Z_]{1,20}$/.test(name) ? name : (DLR_STATUS_NAMES[code] ?? 'UNKNOWN'),
      doneAt: doneAt(done[i], i),
      points: pointsOf(pts[i], i),
    };
  });
}

function doneAt(v: string | undefined, i: number): Date | null {
  if (v === undefined || v === '') return null;
  if (!/^\d{1,12}$/.test(v)) throw new SmsapiReportError(`donedate #${i + 1} is not a unix time`);
  return new Date(Number(v) * 1000);
}

function pointsOf(v: string | undefined, i: number): number | null {
  if (v === undefined || v === '') return null;
  const r = pointsValue.safeParse(v);
  if (!r.success || r.data < 0) throw new SmsapiReportError(`points #${i + 1} is not a number`);
  return r.data;
}
