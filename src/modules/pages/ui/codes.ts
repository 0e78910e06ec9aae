import { boot, T } from './page.js';

/**
 * The codes the server sends (a channel's status reason, a message's status, a trace step, its level
 * and error code), as words in the page's language. The server's lists of reasons, statuses and steps
 * each have a text (pages/relay-texts.ts, checked at compile time); error codes from Gupshup and Meta
 * are an open set, so an unknown one is still framed in the page's language ("Código 131999").
 */

export function known(key: string): string | undefined {
  return (boot.texts as Partial<Record<string, string>>)[key];
}

const fill = (text: string, name: string, value: string) => text.replace(`{${name}}`, value);

/** A billing order's status. */
export function orderStatusText(status: string): string {
  return known(`bill.status_${status}`) ?? status;
}

/** Why a channel is Interrupted or Inactive. */
export function reasonText(reason: string): string {
  return known(`reason.${reason}`) ?? fill(T('ch.reason'), 'code', reason);
}

/** A message's status (badge and filter). */
export function messageStatusText(status: string): string {
  return known(`msg.${status}`) ?? status;
}

export function levelText(level: string): string {
  return known(`level.${level}`) ?? level;
}

/** A trace step; `status_<type>` is Gupshup's message-event of that type. */
export function stepText(step: string): string {
  const text = known(`step.${step}`);
  if (text) return text;
  const event = /^status_(.+)$/.exec(step)?.[1];
  return event ? fill(T('trace.gupshupStatus'), 'status', messageStatusText(event)) : step;
}

/** An error code: ours, a download's, Gupshup's or Meta's (numbers are kept, support asks for them). */
export function codeText(code: string): string {
  const text = known(`code.${code}`) ?? known(`reason.${code}`) ?? known(`msg.${code}`);
  if (text) return /^\d+$/.test(code) ? `${text} (${code})` : text;
  const http = /^http_(\d{3})$/.exec(code)?.[1];
  return http ? fill(T('trace.httpCode'), 'code', http) : fill(T('trace.code'), 'code', code);
}
