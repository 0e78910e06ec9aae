import { describe, expect, it } from 'vitest';
import { gupshupMessage } from '../../src/integrations/gupshup/messages.js';

describe('Gupshup message bodies (reference/gupshup.md §1.1)', () => {
  const url = 'https://app.example/media/x?exp=1&sig=s';

  it('spells a text and each media type as Gupshup expects', () => {
    expect(gupshupMessage({ type: 'text', text: 'Hola' })).toEqual({ type: 'text', text: 'Hola' });
    expect(gupshupMessage({ type: 'image', url, caption: 'mira' })).toEqual({
      type: 'image',
      originalUrl: url,
      previewUrl: url,
      caption: 'mira',
    });
    expect(gupshupMessage({ type: 'video', url })).toEqual({ type: 'video', url });
    expect(gupshupMessage({ type: 'file', url, filename: 'Factura.pdf', caption: 'adjunto' })).toEqual({
      type: 'file',
      url,
      filename: 'Factura.pdf',
      caption: 'adjunto',
    });
  });

  it('never captions audio and keeps captions within WhatsApp’s 1024 characters', () => {
    expect(gupshupMessage({ type: 'audio', url, caption: 'escucha' })).toEqual({ type: 'audio', url });
    const long = gupshupMessage({ type: 'video', url, caption: 'x'.repeat(1100) });
    expect(long.caption).toBe('x'.repeat(1024));
  });
});
