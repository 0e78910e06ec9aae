import { describe, expect, it } from 'vitest';
import { isAgentNote, operatorText } from '../../src/modules/messaging/outbound/operator-text.js';
import { planParts } from '../../src/modules/messaging/outbound/parts.js';
import {
  inFlightSend,
  SERVICE_WINDOW_MS,
  windowOpen,
} from '../../src/modules/messaging/outbound/send-rules.js';
import { failureNote } from '../../src/shared/texts.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms);

describe('the 24-hour window', () => {
  it('is open up to 24 hours after the customer last wrote, and closed after', () => {
    expect(windowOpen(ago(60_000), NOW)).toBe(true);
    expect(windowOpen(ago(SERVICE_WINDOW_MS), NOW)).toBe(true);
    expect(windowOpen(ago(SERVICE_WINDOW_MS + 1), NOW)).toBe(false);
    expect(windowOpen(ago(3 * SERVICE_WINDOW_MS), NOW)).toBe(false);
  });

  it('is closed for a customer who never wrote', () => {
    expect(windowOpen(null, NOW)).toBe(false);
  });
});

describe('the note guard: what is never sent to the customer', () => {
  const note = failureNote('es', '1002');

  it('recognises the app’s own notes, with or without the operator-name prefix', () => {
    expect(isAgentNote(note)).toBe(true);
    expect(isAgentNote(`[b]Ana:[/b][br]${note}`)).toBe(true);
    expect(isAgentNote(`[b]Ana:[/b][br] ${note}`)).toBe(true);
  });

  it('lets operators’ own words through, even when they quote a note', () => {
    expect(isAgentNote('Hola, ¿en qué puedo ayudarle?')).toBe(false);
    expect(isAgentNote(`[b]Ana:[/b][br]Mire: ${note}`)).toBe(false);
    expect(isAgentNote(`[b]Ana:[/b][br]`)).toBe(false);
    expect(isAgentNote('')).toBe(false);
  });
});

describe('the operator-name prefix', () => {
  it('is left out of the operator’s own words only at the start, ending a line or the text', () => {
    expect(operatorText('[b]Ana:[/b][br] mira')).toEqual({ whatsapp: '*Ana:*\nmira', words: 'mira' });
    expect(operatorText('[b]Ana:[/b][br]').words).toBe('');
    expect(operatorText('[b]Ojo:[/b] el precio').words).toBe('*Ojo:* el precio');
    expect(operatorText('hola [b]Ana:[/b][br]x').words).toBe('hola *Ana:*\nx');
  });

  it('does not count as text: files sent alone stay files alone', () => {
    const pdf = { name: 'factura.pdf', mime: 'application/pdf', link: 'https://x/f.pdf' };
    expect(planParts('[b]Ana:[/b][br]', [pdf])).toEqual([{ type: 'file', text: '', file: pdf }]);
    expect(planParts('[b]Ana:[/b][br]aquí', [pdf])).toEqual([
      { type: 'file', text: '[b]Ana:[/b][br]aquí', file: pdf },
    ]);
  });
});

describe('a send whose earlier attempt is still marked in flight', () => {
  const grace = 120_000;

  it('goes on at once when there is no mark', () => {
    expect(inFlightSend(null, NOW, grace)).toEqual({ kind: 'clear' });
  });

  it('waits for Gupshup’s events within the grace period, checking at least every 5 s', () => {
    expect(inFlightSend(ago(1_000), NOW, grace)).toEqual({ kind: 'wait', delayMs: 5_000 });
    expect(inFlightSend(ago(grace - 1_000), NOW, grace)).toEqual({ kind: 'wait', delayMs: 1_050 });
  });

  it('is sent again once the grace period passed without an event', () => {
    expect(inFlightSend(ago(grace), NOW, grace)).toEqual({ kind: 'resend' });
  });
});
