import { describe, expect, it } from 'vitest';
import { CHANNEL_STATUS_REASONS } from '../../src/modules/channels/status-reasons.js';
import { MESSAGE_STATUSES } from '../../src/modules/messaging/message-log.js';
import { uiTexts } from '../../src/modules/pages/texts.js';
import { TRACE_STEPS } from '../../src/modules/trace/trace-steps.js';
import type { Lang } from '../../src/shared/i18n.js';

/**
 * Issue 10: every reason and code a page shows is in the page's language. The pages look codes up in
 * the dictionary their boot data carries (`reason.`, `msg.`, `step.`, `level.`, `code.`), so each
 * code the server can send must be there, in words, in es, en and pt.
 */
const LANGS: Lang[] = ['es', 'en', 'pt'];
const dictionaries = Object.fromEntries(LANGS.map((l) => [l, uiTexts(l) as Record<string, string>]));
const text = (lang: Lang, key: string) => dictionaries[lang]?.[key];

/** Gupshup's and Meta's codes the reference names (gupshup.md §8): the log shows them in words. */
const PROVIDER_CODES = [
  '401', '429', '500', '1001', '1002', '1003', '1004', '1005', '1006', '1007', '1008', '1009', '1010',
  '1011', '1012', '1013', '1014', '4001', '4002', '4003', '4004', '4005', '470', '471', '130429',
  '130472', '131026', '131031', '131042', '131047', '131048', '131049', '131050', '131056', '132000',
  '132001', '132012', '132015', '132016', '133010',
]; // prettier-ignore

/** The relay's own codes on messages and trace steps (outbound, worker, media download). */
const OWN_CODES = [
  'failed', 'rejected', 'empty_message', 'bad_chat_id', 'window_closed', 'retries_exhausted',
  'channel_inactive', 'awaiting_confirmation', 'edit_after_send', 'delete_after_send', 'unreachable',
  'not_confirmed_by_portal', 'portal_unavailable',
  'media', 'media_not_ready', 'file_too_large', 'file_unsupported', 'file_unavailable', 'no_url',
  'expired', 'too_large', 'too_many_redirects', 'network', 'bad_url', 'not_found', 'forbidden',
  'blocked_host', 'blocked_address',
]; // prettier-ignore

/** Why a recipient's digest failed (issue 13: the templates send service's refusals, or out of tries). */
const DIGEST_SEND_CODES = [
  'template_not_approved', 'template_inactive', 'template_not_found', 'template_not_on_line',
  'channel_off', 'channel_not_found', 'phone_invalid', 'gave_up',
]; // prettier-ignore

const groups: Array<[prefix: string, values: readonly string[]]> = [
  ['reason', CHANNEL_STATUS_REASONS],
  ['msg', MESSAGE_STATUSES],
  ['step', TRACE_STEPS],
  ['level', ['INFO', 'WARN', 'ERROR']],
  ['code', [...PROVIDER_CODES, ...OWN_CODES, ...DIGEST_SEND_CODES]],
];

describe('the pages’ texts for what the server sends', () => {
  it.each(groups)('every %s has words in es, en and pt', (prefix, values) => {
    for (const v of values) {
      for (const lang of LANGS) {
        const t = text(lang, `${prefix}.${v}`);
        expect(t, `${lang} ${prefix}.${v}`).toMatch(/\S/);
        // Words, not the code again (INFO → "Info" is fine; `switched_off` is not).
        expect(t, `${lang} ${prefix}.${v}`).not.toMatch(/[a-z]+_[a-z]+/);
      }
      expect(text('es', `${prefix}.${v}`), `${prefix}.${v}`).not.toBe(v);
    }
  });

  it('frames codes it does not know in the page language, and keeps every placeholder in all three', () => {
    expect([text('es', 'trace.code'), text('en', 'trace.code'), text('pt', 'trace.code')]).toEqual([
      'Código {code}',
      'Code {code}',
      'Código {code}',
    ]);
    const keys = Object.keys(dictionaries.en ?? {});
    expect(keys.length).toBeGreaterThan(300);
    const holes = (s: string | undefined) => [...(s ?? '').matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of keys) {
      for (const lang of LANGS) {
        expect(text(lang, key), `${lang} ${key}`).toMatch(/\S/);
        expect(holes(text(lang, key)), `${lang} ${key}`).toEqual(holes(text('en', key)));
      }
    }
  });
});
