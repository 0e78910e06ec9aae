import parseRange from 'range-parser';
import type { ByteRange } from './storage.js';

/**
 * The one byte range a request asks of a file of `size` bytes (RFC 9110 §14): what lets a browser
 * seek in a video and a player resume a download.
 *  - undefined: send the whole file (no `Range`, a unit other than bytes, an unreadable header,
 *    several ranges, or an `If-Range`: we give no validator it could match, §13.1.5);
 *  - 'unsatisfiable': no asked range overlaps the file (416 with `Content-Range: bytes *\/size`).
 */
export function requestedRange(
  size: number,
  range: string | undefined,
  ifRange: boolean,
): ByteRange | 'unsatisfiable' | undefined {
  if (!range || ifRange) return undefined;
  const r = parseRange(size, range, { combine: true });
  if (r === -1) return 'unsatisfiable';
  if (r === -2 || r.type !== 'bytes' || r.length !== 1 || !r[0]) return undefined;
  return { start: r[0].start, end: r[0].end };
}
