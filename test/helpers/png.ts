import { crc32, deflateSync } from 'node:zlib';

/**
 * A 240×140 PNG for the screenshots: a green band over a light background, like a shop's banner.
 * Built here (RGB, no filter) so the test carries no binary file.
 */
export function samplePng(w = 240, h = 140): Buffer {
  const row = w * 3 + 1;
  const raw = Buffer.alloc(row * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const band = y > h * 0.3 && y < h * 0.7;
      const t = x / w;
      const rgb = band
        ? [37, Math.round(160 + 60 * t), Math.round(100 + 40 * t)]
        : [230, 240 - Math.round(20 * t), 235];
      raw.set(rgb, y * row + 1 + x * 3);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
