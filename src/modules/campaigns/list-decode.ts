/**
 * How a list's bytes become text (docs/campaigns.md, "The CSV file"): a UTF-8 byte order mark or valid
 * UTF-8 → UTF-8, anything else windows-1252 (what Excel writes on Windows; every byte decodes). While
 * the file is plain ASCII nothing is decided (both read it alike): the first chunk with a byte above
 * 0x7F decides, so a Latin-1 file whose first 64 KB are ASCII is still read as Latin-1.
 */

export type ListEncoding = 'utf-8' | 'windows-1252';

interface Decoder {
  decode(b?: Uint8Array, o?: { stream: boolean }): string;
}

export class ListDecoder {
  /** Null while the bytes seen are ASCII. */
  encoding: ListEncoding | null = null;
  #inner: Decoder | undefined;

  constructor(head: Buffer, whole: boolean) {
    const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
    if (bom || !isAscii(head)) this.#choose(detectEncoding(head, whole));
  }

  decode(b: Buffer, o: { stream: boolean } = { stream: false }): string {
    if (!this.#inner) {
      if (isAscii(b)) return b.toString('latin1');
      // Everything before was ASCII: this chunk starts on a character boundary.
      this.#choose(detectEncoding(b, !o.stream));
    }
    return this.#inner!.decode(b, o);
  }

  end(): string {
    return this.#inner?.decode() ?? '';
  }

  #choose(e: ListEncoding): void {
    this.encoding = e;
    this.#inner = textDecoder(e);
  }
}

function isAscii(b: Buffer): boolean {
  for (const byte of b) if (byte >= 0x80) return false;
  return true;
}

/** 0x80–0x9F in windows-1252 (Node's decoder reads them as ISO-8859-1's C1 controls). */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

function textDecoder(encoding: ListEncoding): { decode(b?: Uint8Array, o?: { stream: boolean }): string } {
  if (encoding === 'utf-8') return new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');
  return {
    decode: (b, o) =>
      latin1.decode(b, o).replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] ?? c),
  };
}

/** UTF-8 when the file says so (BOM) or its first bytes are valid UTF-8, else windows-1252. */
export function detectEncoding(b: Buffer, whole: boolean): ListEncoding {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  // A multi-byte character cut at the end of the sniffed bytes is not a fault of the file.
  let end = b.length;
  if (!whole) {
    let back = 0;
    while (back < 3 && end - back - 1 >= 0 && ((b[end - back - 1] ?? 0) & 0xc0) === 0x80) back += 1;
    if (end - back - 1 >= 0 && (b[end - back - 1] ?? 0) >= 0xc0) end = end - back - 1;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, end));
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}
