import { NOTE_MARK, RECORD_MARK } from '../../../shared/texts.js';
import { bbcodeToWhatsApp } from './bbcode.js';

/**
 * An operator's text as the relay reads it: Bitrix24 BB-code converted to WhatsApp formatting (the
 * one place it is converted), and the operator-name prefix the Bitrix24 core may put first
 * (`[b]Name:[/b][br]`, `*Name:*` once converted; the one place it is recognised).
 */
export interface OperatorText {
  /** What the customer gets: the converted text, prefix included. */
  whatsapp: string;
  /** The operator's own words: the converted text without the prefix. */
  words: string;
}

/** `*Name:*` at the start, ending the text or its first line. */
const OPERATOR_PREFIX = /^\*[^*\n]*:\*(?:\n|$)/;

export function operatorText(bbcode: string): OperatorText {
  const whatsapp = bbcodeToWhatsApp(bbcode);
  return { whatsapp, words: whatsapp.replace(OPERATOR_PREFIX, '') };
}

/**
 * The app's own lines in the open-line chat (`chat.notify` notes, starting with NOTE_MARK; records of
 * sent templates, starting with RECORD_MARK): should Bitrix24 hand one to the connector as an
 * operator message, it is never sent to the customer.
 */
export function isAgentNote(bbcode: string): boolean {
  const words = operatorText(bbcode).words;
  return words.startsWith(NOTE_MARK) || words.startsWith(RECORD_MARK);
}
