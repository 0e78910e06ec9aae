import type { SMS_TEXTS } from '../sms-texts.js';
import type { UiTextKey } from '../texts.js';
import { fill } from './billing-format.js';
import { T } from './page.js';

/** The SMS tab's texts (`sms.` in the pages' dictionary), with `{x}` values filled in. */
export type SmsKey = keyof typeof SMS_TEXTS;

export function S(key: SmsKey, vars?: Record<string, string | number>): string {
  const text = T(('sms.' + key) as UiTextKey);
  return vars ? fill(text, vars) : text;
}
