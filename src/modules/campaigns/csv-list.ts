import { pipeline } from 'node:stream/promises';
import { parse, type Info } from 'csv-parse';
import { ListDecoder, type ListEncoding } from './list-decode.js';
import { fold, mapHeader, splitDialer, type HeaderMap } from './list-lines.js';

/**
 * A campaign list read from a CSV upload as it arrives (docs/campaigns.md, "Lists"): the bytes are
 * counted and decoded chunk by chunk and handed to csv-parse, whose records come out while the rest
 * of the upload is still on the way; nothing holds the whole file. The first 64 KB decide the
 * encoding (a BOM or valid UTF-8 → UTF-8, else windows-1252, which every byte decodes in), whether
 * it is a CSV at all (no NUL bytes, no zip/PDF/image/Office signature) and the delimiter (`,` `;`
 * TAB `|`, the one splitting the first lines alike). Two shapes: `columns` (a header naming the
 * phone, the name and param1…n) and `dialer` (no header, `<phone><delim>hsm:<code>:<p1>:<p2>…`).
 */

export type ListShape = 'columns' | 'dialer';
export type { ListEncoding };

/** One line of the list as written, before its phone and parameters are checked (list-check.ts). */
export interface ListLine {
  /** The line number in the file (1 = the first line), as the admin finds it in a spreadsheet. */
  line: number;
  rawPhone: string;
  name: string;
  params: string[];
  /** The dialer row's template code (`hsm:<code>:…`); null in the columns shape. */
  templateCode: string | null;
}

export interface ListFileInfo {
  shape: ListShape;
  delimiter: string;
  encoding: ListEncoding;
  /** The columns shape's header as read (at most 50 names). */
  header?: string[];
}

export type ListErrorKind =
  | 'too_many_rows'
  | 'too_many_bytes'
  | 'not_csv'
  | 'no_phone_column'
  | 'empty'
  | 'malformed'
  | 'no_template'
  | 'stalled';

/** Why a file is refused as a whole; the route answers 413, 415 or 400 with words (list-texts.ts). */
export class ListError extends Error {
  constructor(
    readonly kind: ListErrorKind,
    readonly detail: Record<string, string | number> = {},
  ) {
    super(`campaign list refused: ${kind}`);
    this.name = 'ListError';
  }
}

export interface ParseListOptions {
  shape: 'auto' | ListShape;
  maxRows: number;
  maxBytes: number;
  /** Called once the file's shape, delimiter and encoding are known (before the first line). */
  onInfo?: (info: ListFileInfo) => void;
}

const SNIFF_BYTES = 64 * 1024;
const DELIMITERS = [',', ';', '\t', '|'] as const;
/** Signatures of files people upload by mistake: zip (xlsx, docx), PDF, PNG, JPEG, GIF, gzip, old Office. */
const MAGIC: readonly number[][] = [
  [0x50, 0x4b, 0x03, 0x04],
  [0x25, 0x50, 0x44, 0x46],
  [0x89, 0x50, 0x4e, 0x47],
  [0xff, 0xd8, 0xff],
  [0x47, 0x49, 0x46, 0x38],
  [0x1f, 0x8b],
  [0xd0, 0xcf, 0x11, 0xe0],
];

/** The lines of an uploaded list, one at a time, as the bytes arrive. Throws ListError. */
export async function* parseList(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  o: ParseListOptions,
): AsyncGenerator<ListLine> {
  const it = source[Symbol.asyncIterator]();
  let bytes = 0;
  const count = (chunk: Buffer | Uint8Array | string): Buffer => {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    bytes += b.length;
    if (bytes > o.maxBytes) throw new ListError('too_many_bytes', { max: o.maxBytes });
    return b;
  };
  // The first 64 KB (or the whole file when smaller) decide encoding, delimiter and whether it is a CSV.
  const head: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  while (headLen < SNIFF_BYTES) {
    const n = await it.next();
    if (n.done) {
      ended = true;
      break;
    }
    const b = count(n.value);
    head.push(b);
    headLen += b.length;
  }
  const first = Buffer.concat(head);
  if (looksBinary(first)) throw new ListError('not_csv');
  const decoder = new ListDecoder(first, ended);
  const firstText = decoder.decode(first, { stream: !ended });
  if (!firstText.trim()) throw new ListError('empty');
  const delimiter = detectDelimiter(firstText);

  async function* decoded(): AsyncGenerator<string> {
    yield firstText;
    if (ended) return;
    for (;;) {
      const n = await it.next();
      if (n.done) break;
      yield decoder.decode(count(n.value), { stream: true });
    }
    const tail = decoder.end();
    if (tail) yield tail;
  }

  const parser = parse({
    delimiter,
    bom: true,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    max_record_size: 65_536,
  });
  const feeding = pipeline(decoded(), parser);
  // The pipeline's own failure (too big, a source error) surfaces through the parser's iteration.
  feeding.catch(() => undefined);

  let shape: ListShape | undefined = o.shape === 'auto' ? undefined : o.shape;
  // Handed to onInfo once; its encoding is settled at the end when the file began in plain ASCII.
  let fileInfo: ListFileInfo | undefined;
  const tell = (i: ListFileInfo) => {
    fileInfo = i;
    o.onInfo?.(i);
  };
  const encoding = () => decoder.encoding ?? 'utf-8';
  let header: HeaderMap | undefined;
  let headerRecord: string[] = [];
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      // `lines` is where the record ends: a quoted line break inside it moves its start back.
      const line = info.lines - record.reduce((n, f) => n + (f.match(/\r\n|\n|\r/g)?.length ?? 0), 0);
      const hsm = record.some((f) => /^\s*hsm:/i.test(f));
      if (!shape) shape = hsm ? 'dialer' : 'columns';
      if (shape === 'columns' && !header) {
        header = mapHeader(record);
        headerRecord = record;
        continue;
      }
      if (rows === 0) {
        // Auto: a first line of names above dialer rows is a header to skip, not the columns shape.
        if (o.shape === 'auto' && header && hsm && header.params.size === 0) shape = 'dialer';
        if (shape === 'columns' && header?.phone === undefined) {
          throw new ListError('no_phone_column', { found: headerRecord.slice(0, 10).map(fold).join(', ') });
        }
        tell({
          shape,
          delimiter,
          encoding: encoding(),
          ...(header ? { header: headerRecord.slice(0, 50) } : {}),
        });
      }
      rows += 1;
      if (rows > o.maxRows) throw new ListError('too_many_rows', { max: o.maxRows });
      yield shape === 'dialer' ? dialerLine(line, record, delimiter) : columnsLine(line, record, header!);
    }
  } catch (err) {
    if (err instanceof ListError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('CSV_')) {
      throw new ListError('malformed', { line: (err as { lines?: number }).lines ?? 0 });
    }
    throw err;
  } finally {
    parser.destroy();
  }
  if (rows === 0) throw new ListError('empty');
  if (fileInfo) fileInfo.encoding = encoding();
}

function columnsLine(line: number, record: string[], h: HeaderMap): ListLine {
  const params: string[] = [];
  for (const [index, column] of h.params) params[index - 1] = (record[column] ?? '').trim();
  for (let i = 0; i < params.length; i += 1) params[i] ??= '';
  return {
    line,
    rawPhone: (record[h.phone ?? 0] ?? '').trim(),
    name: h.name === undefined ? '' : (record[h.name] ?? '').trim(),
    params,
    templateCode: null,
  };
}

/** `<phone><delim>hsm:<code>:<p1>…`: a delimiter inside the hsm part is part of a parameter. */
function dialerLine(line: number, record: string[], delimiter: string): ListLine {
  const rawPhone = (record[0] ?? '').trim();
  const rest = record.slice(1).join(delimiter).trim();
  const parts = splitDialer(rest);
  const isHsm = parts[0]?.toLowerCase() === 'hsm';
  return {
    line,
    rawPhone,
    name: '',
    templateCode: isHsm ? (parts[1] ?? '').trim() : '',
    params: isHsm ? parts.slice(2) : [],
  };
}

function looksBinary(b: Buffer): boolean {
  if (MAGIC.some((m) => m.every((byte, i) => b[i] === byte))) return true;
  let control = 0;
  for (const byte of b) {
    if (byte === 0) return true;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) control += 1;
  }
  return control > b.length / 100;
}

/**
 * The delimiter that splits the first records alike: for each candidate, the fewest fields it makes
 * on any of the first 20 non-empty records (outside quotes; a quoted line break stays in its record);
 * the largest wins, `,` on a tie or when none splits (a one-column file). The last record may be cut
 * where the sniffed bytes end, so it only counts when it is the only one.
 */
export function detectDelimiter(text: string): string {
  const records: Array<Map<string, number>> = [];
  let cur = new Map<string, number>();
  let blank = true;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) {
      if (!blank) records.push(cur);
      cur = new Map();
      blank = true;
      if (records.length >= 21) break;
      continue;
    } else if (!quoted && (DELIMITERS as readonly string[]).includes(ch)) {
      cur.set(ch, (cur.get(ch) ?? 0) + 1);
    }
    if (ch.trim()) blank = false;
  }
  if (records.length === 0 && !blank) records.push(cur);
  const sample = records.slice(0, 20);
  let best: string = ',';
  let bestMin = 0;
  for (const d of DELIMITERS) {
    const min = Math.min(...sample.map((r) => r.get(d) ?? 0));
    if (min > bestMin) {
      best = d;
      bestMin = min;
    }
  }
  return best;
}
