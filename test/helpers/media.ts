import { expect } from 'vitest';

/**
 * What `GET /media/:id` answers to byte ranges for a stored file of `bytes`, whichever storage holds
 * it: 200 with `Accept-Ranges`, 206 with `Content-Range` for one range, 416 with `bytes *\/size` and
 * the JSON error for none, the whole file for what a server may ignore.
 */
export async function expectRangeAnswers(url: string, bytes: Buffer): Promise<void> {
  const size = bytes.length;
  const get = (headers: Record<string, string> = {}) => fetch(url, { headers });
  const body = async (r: Response) => Buffer.from(await r.arrayBuffer());

  const whole = await get();
  expect(whole.status).toBe(200);
  expect(whole.headers.get('accept-ranges')).toBe('bytes');
  expect(whole.headers.get('content-length')).toBe(String(size));
  expect((await body(whole)).equals(bytes)).toBe(true);

  const first = await get({ range: 'bytes=0-9' });
  expect(first.status).toBe(206);
  expect(first.headers.get('content-range')).toBe(`bytes 0-9/${size}`);
  expect(first.headers.get('content-length')).toBe('10');
  expect(first.headers.get('accept-ranges')).toBe('bytes');
  expect(first.headers.get('content-type')).toBe(whole.headers.get('content-type'));
  expect((await body(first)).equals(bytes.subarray(0, 10))).toBe(true);

  const last = await get({ range: 'bytes=-4' });
  expect(last.status).toBe(206);
  expect(last.headers.get('content-range')).toBe(`bytes ${size - 4}-${size - 1}/${size}`);
  expect((await body(last)).equals(bytes.subarray(size - 4))).toBe(true);

  const rest = await get({ range: `bytes=${size - 3}-` });
  expect(rest.headers.get('content-range')).toBe(`bytes ${size - 3}-${size - 1}/${size}`);
  expect((await body(rest)).equals(bytes.subarray(size - 3))).toBe(true);

  const outside = await get({ range: `bytes=${size}-` });
  expect(outside.status).toBe(416);
  expect(outside.headers.get('content-range')).toBe(`bytes */${size}`);
  expect(await outside.json()).toMatchObject({ error: { code: 'range_not_satisfiable' } });

  // Several ranges, another unit, an unreadable header or an If-Range: the whole file.
  for (const headers of [
    { range: 'bytes=0-1,5-6' },
    { range: 'pages=1-2' },
    { range: 'bytes=x-y' },
    { range: 'bytes=0-9', 'if-range': '"some-etag"' },
  ]) {
    const r = await get(headers);
    expect(r.status).toBe(200);
    expect((await body(r)).equals(bytes)).toBe(true);
  }
}
