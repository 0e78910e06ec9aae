import { describe, expect, it } from 'vitest';
import {
  detectDelimiter,
  ListError,
  parseList,
  type ListFileInfo,
  type ListLine,
} from '../../src/modules/campaigns/csv-list.js';
import { isStopKeyword, splitDialer } from '../../src/modules/campaigns/list-lines.js';
import { stallGuard } from '../../src/modules/campaigns/lists.service.js';

const LIMITS = { maxRows: 100_000, maxBytes: 20 * 1024 * 1024 };

async function read(
  input: string | Buffer | Array<string | Buffer>,
  o: Partial<Parameters<typeof parseList>[1]> = {},
): Promise<{ lines: ListLine[]; info: ListFileInfo | undefined }> {
  let info: ListFileInfo | undefined;
  const chunks = Array.isArray(input) ? input : [input];
  async function* source() {
    for (const c of chunks) yield typeof c === 'string' ? Buffer.from(c) : c;
  }
  const lines: ListLine[] = [];
  for await (const l of parseList(source(), { shape: 'auto', ...LIMITS, onInfo: (i) => (info = i), ...o })) {
    lines.push(l);
  }
  return { lines, info };
}

async function refusal(input: string | Buffer, o: Partial<Parameters<typeof parseList>[1]> = {}) {
  try {
    await read(input, o);
  } catch (err) {
    if (err instanceof ListError) return err.kind;
    throw err;
  }
  return 'accepted';
}

/**
 * The CSV reader of campaign lists (docs/campaigns.md, "Lists"): both shapes, quotes, BOM, Latin-1,
 * empty lines, the four delimiters, the refusals, and that it streams (a line comes out before the
 * source has produced the rest).
 */
describe('campaign list CSV', () => {
  it('columns: header names in Spanish with accents, any order, quotes with delimiters and line breaks inside', async () => {
    const csv =
      'Nombre;Teléfono;param2;PARAM1\r\n' +
      '"Pérez; Ana";+54 9 11 5555-0001;"A-1";"dice ""hola"""\r\n' +
      '\r\n' +
      '   \r\n' +
      'Luis;011 15-5555-0002;"línea\ndos";x\r\n';
    const { lines, info } = await read(csv);
    expect(info).toMatchObject({ shape: 'columns', delimiter: ';', encoding: 'utf-8' });
    expect(lines).toEqual([
      {
        line: 2,
        rawPhone: '+54 9 11 5555-0001',
        name: 'Pérez; Ana',
        params: ['dice "hola"', 'A-1'],
        templateCode: null,
      },
      {
        line: 5,
        rawPhone: '011 15-5555-0002',
        name: 'Luis',
        params: ['x', 'línea\ndos'],
        templateCode: null,
      },
    ]);
  });

  it('dialer rows: hsm:code:p1:p2 with \\: and \\\\ escapes; a delimiter inside the hsm part stays', async () => {
    const csv = '5491155550001,hsm:aviso:Ana:10\\:30\n5491155550002,hsm:aviso:C\\\\D:a,b\n';
    const { lines, info } = await read(csv);
    expect(info).toMatchObject({ shape: 'dialer', delimiter: ',' });
    expect(lines).toEqual([
      { line: 1, rawPhone: '5491155550001', name: '', params: ['Ana', '10:30'], templateCode: 'aviso' },
      { line: 2, rawPhone: '5491155550002', name: '', params: ['C\\D', 'a,b'], templateCode: 'aviso' },
    ]);
    expect(splitDialer('hsm:x:a\\b')).toEqual(['hsm', 'x', 'a\\b']);
    // A line of names above dialer rows (as a dialer export may have) is a header, skipped.
    const headed = await read('destino;mensaje\n5491155550001;hsm:aviso:Ana:1\n');
    expect(headed.info).toMatchObject({ shape: 'dialer', header: ['destino', 'mensaje'] });
    expect(headed.lines).toEqual([
      { line: 2, rawPhone: '5491155550001', name: '', params: ['Ana', '1'], templateCode: 'aviso' },
    ]);
  });

  it('BOM, tab and pipe delimiters, Latin-1 (windows-1252) files', async () => {
    const bom = await read(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('phone\tname\n+5491155550001\tÑandú\n')]),
    );
    expect(bom.info).toMatchObject({ delimiter: '\t', encoding: 'utf-8', header: ['phone', 'name'] });
    expect(bom.lines[0]).toMatchObject({ rawPhone: '+5491155550001', name: 'Ñandú' });
    const pipe = await read('telefono|nombre|p1\n+5491155550001|Ana|x\n');
    expect(pipe.info?.delimiter).toBe('|');
    // '€' is not Latin-1: windows-1252 writes it 0x80.
    const latin1 = Buffer.concat([
      Buffer.from('telefono,nombre,param1\n+5491155550001,José Núñez,', 'latin1'),
      Buffer.from([0x80]),
      Buffer.from('5 café\n', 'latin1'),
    ]);
    const l = await read(latin1);
    expect(l.info?.encoding).toBe('windows-1252');
    expect(l.lines[0]).toMatchObject({ name: 'José Núñez', params: ['€5 café'] });
  });

  it('a Latin-1 file whose first 64 KB are plain ASCII is still read as Latin-1; an ASCII one is UTF-8', async () => {
    const ascii = 'telefono,nombre\n' + '+5491155550001,Ana\n'.repeat(5_000);
    const late = Buffer.concat([Buffer.from(ascii), Buffer.from('+5491155550002,José Peña\n', 'latin1')]);
    expect(late.indexOf(0xe9)).toBeGreaterThan(64 * 1024);
    const chunks = [late.subarray(0, 70_000), late.subarray(70_000)];
    const l = await read(chunks);
    expect(l.info?.encoding).toBe('windows-1252');
    expect(l.lines.at(-1)).toMatchObject({ name: 'José Peña' });
    const utf8Late = Buffer.concat([Buffer.from(ascii), Buffer.from('+5491155550002,José Peña 😀\n')]);
    const u = await read([utf8Late.subarray(0, 70_000), utf8Late.subarray(70_000)]);
    expect(u.info?.encoding).toBe('utf-8');
    expect(u.lines.at(-1)).toMatchObject({ name: 'José Peña 😀' });
    expect((await read(ascii)).info?.encoding).toBe('utf-8');
  });

  it('a multi-byte character cut between chunks is still UTF-8', async () => {
    const text = 'telefono,nombre\n+5491155550001,Ñandú 😀\n';
    const b = Buffer.from(text);
    const cut = b.indexOf(Buffer.from('😀')) + 2;
    const { lines, info } = await read([b.subarray(0, cut), b.subarray(cut)]);
    expect(info?.encoding).toBe('utf-8');
    expect(lines[0]?.name).toBe('Ñandú 😀');
  });

  it('refusals: not a CSV, no phone column, empty, too many rows or bytes, an unclosed quote', async () => {
    expect(await refusal(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]))).toBe('not_csv');
    expect(await refusal(Buffer.from('phone\n\u0000\u0001binary'))).toBe('not_csv');
    expect(await refusal('nombre,ciudad\nAna,Rosario\n')).toBe('no_phone_column');
    expect(await refusal('\n\n  \n')).toBe('empty');
    expect(await refusal('telefono\n')).toBe('empty');
    expect(await refusal('telefono\n1\n2\n3\n', { maxRows: 2 })).toBe('too_many_rows');
    expect(await refusal('telefono\n' + '5491155550001\n'.repeat(200), { maxBytes: 1024 })).toBe(
      'too_many_bytes',
    );
    expect(await refusal('telefono,nombre\n+5491155550001,"Ana\n')).toBe('malformed');
  });

  it('the delimiter is the one splitting the first lines alike', () => {
    expect(detectDelimiter('a;b,c;d\n1;2,3;4\n')).toBe(';');
    expect(detectDelimiter('phone\n+54911\n')).toBe(',');
    expect(detectDelimiter('"a,b";c\n"d,e";f\n')).toBe(';');
  });

  it('streams: the first line comes out before the source has produced line 50,000 of 100,000', async () => {
    let produced = 0;
    let producedAtFirst = -1;
    async function* source() {
      yield Buffer.from('telefono,nombre,param1\n');
      for (let i = 0; i < 100_000; i += 1) {
        produced += 1;
        yield Buffer.from(`+54911${String(50_000_000 + i)},Nombre ${i},v${i}\n`);
      }
    }
    let count = 0;
    for await (const l of parseList(source(), { shape: 'auto', ...LIMITS })) {
      if (count === 0) producedAtFirst = produced;
      count += 1;
      expect(l.line).toBe(count + 1);
    }
    expect(count).toBe(100_000);
    expect(producedAtFirst).toBeGreaterThan(0);
    expect(producedAtFirst).toBeLessThan(50_000);
  });

  it('stop keywords: only the word, any case or accents, trimmed', () => {
    for (const t of ['STOP', ' baja ', 'Parar', 'SAIR!', 'cancelár', 'Unsubscribe']) {
      expect(isStopKeyword(t), t).toBe(true);
    }
    for (const t of ['stop please', 'no quiero baja', '', 'stopp']) expect(isStopKeyword(t), t).toBe(false);
  });
});

describe('an upload that stops sending', () => {
  it('is given up with ListError("stalled") and its source is closed; a steady one passes whole', async () => {
    let closed = false;
    const never: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]() {
        let first = true;
        return {
          next: () => {
            if (first) {
              first = false;
              return Promise.resolve({ done: false as const, value: Buffer.from('telefono\n') });
            }
            return new Promise<IteratorResult<Buffer>>(() => undefined);
          },
          return: () => {
            closed = true;
            return Promise.resolve({ done: true as const, value: Buffer.alloc(0) });
          },
        };
      },
    };
    const got: Buffer[] = [];
    const err = await (async () => {
      for await (const chunk of stallGuard(never, 20)) got.push(chunk);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListError);
    expect((err as ListError).kind).toBe('stalled');
    expect(got.map(String)).toEqual(['telefono\n']);
    expect(closed).toBe(true);

    async function* steady() {
      for (let i = 0; i < 3; i += 1) yield Buffer.from(`${i}\n`);
    }
    const all: string[] = [];
    for await (const chunk of stallGuard(steady(), 1_000)) all.push(String(chunk));
    expect(all).toEqual(['0\n', '1\n', '2\n']);
  });
});
