import type { NOTIFICATION_TEXTS } from '../notifications-texts.js';
import type { UiTextKey } from '../texts.js';
import { ApiError } from './api.js';
import { fill } from './billing-format.js';
import { clear, h, notice } from './dom.js';
import { confirmBox } from './dialog.js';
import { boot, T } from './page.js';
import type { NtfOverview } from './notifications-types.js';

/**
 * What the Notifications tab's parts share: their texts, the trial and limits banner, and the
 * server's refusals in the page's words (limits, numbers, schedules), shown next to the field the
 * server named.
 */

export type NtfKey = keyof typeof NOTIFICATION_TEXTS;

export function N(key: NtfKey, vars?: Record<string, string | number>): string {
  const text = T(('ntf.' + key) as UiTextKey);
  return vars ? fill(text, vars) : text;
}

export const DAY_MS = 86_400_000;

/** A titled part of the tab, with a place for its messages and a body that is redrawn on its own. */
export function part(id: string, title: string) {
  const heading = h('h2', { id: id + '-title', text: title });
  const msg = h('div', { id: id + '-msg', 'aria-live': 'polite' });
  const body = h('div');
  const el = h(
    'section',
    { class: 'ntf card-part', id, 'aria-labelledby': id + '-title' },
    heading,
    msg,
    body,
  );
  return { el, heading, msg, body };
}

/** Trial days left (or its end), the limits, and who raises them. */
export function banner(o: NtfOverview): HTMLDivElement {
  const lines: string[] = [];
  if (o.trial) {
    const left = Math.max(0, Math.ceil((Date.parse(o.trial.endsAt) - Date.now()) / DAY_MS));
    lines.push(o.trial.ended ? N('trialEnded') : N('trial', { n: left }));
  } else {
    lines.push(N('limits', { recipients: o.limits.recipients, groups: o.limits.groups }));
  }
  lines.push(N('askVendor'));
  const kind = o.trial?.ended ? 'error' : 'info';
  const box = notice(kind, lines.join(' '));
  box.id = 'ntf-banner';
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  return box;
}

const ISSUE_KEYS: Record<string, NtfKey> = {
  not_a_number: 'phone_not_a_number',
  invalid: 'phone_invalid',
  not_mobile: 'phone_not_mobile',
  country_not_allowed: 'phone_country_not_allowed',
  no_weekdays: 'schedule_no_weekdays',
  bad_weekday: 'schedule_no_weekdays',
  bad_time: 'schedule_bad_time',
  empty_window: 'schedule_empty_window',
  template_not_approved: 'refused_template_not_approved',
  no_recipients: 'refused_no_recipients',
  service_inactive: 'refused_service_inactive',
};

/** A refusal in the page's words: the limits with the counters, the codes we know, else the server's. */
export function refusalText(e: unknown, o: NtfOverview): string {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
  const codes = e.issues.map((i) => i.code);
  if (codes.includes('groups_limit')) return N('groupsLimit', { used: o.usage.groups, max: o.limits.groups });
  if (codes.includes('recipients_limit')) {
    return N('recipientsLimit', { used: o.usage.recipients, max: o.limits.recipients });
  }
  const known = e.issues.map((i) => ISSUE_KEYS[i.code]).filter((k): k is NtfKey => !!k);
  return known.length ? known.map((k) => N(k)).join(' ') : e.message;
}

/**
 * Puts each issue the server named next to its field in `form` (`name=` the issue's field) and says
 * whether all of them found one. Earlier issues are cleared first.
 */
export function showFieldIssues(form: HTMLElement, e: unknown, o: NtfOverview): boolean {
  return markFieldIssues(form, e, 'ntf-err-', (issue, status) =>
    refusalText(new ApiError(issue.message, status, [issue]), o),
  );
}

/** showFieldIssues with the words of each issue chosen by the caller (`text`); ids start with `idPrefix`. */
export function markFieldIssues(
  form: HTMLElement,
  e: unknown,
  idPrefix: string,
  text: (issue: ApiError['issues'][number], status: number) => string = (i) => i.message,
): boolean {
  form.querySelectorAll('.field-err').forEach((x) => x.remove());
  form.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
  if (!(e instanceof ApiError) || !e.issues.length) return false;
  let all = true;
  for (const issue of e.issues) {
    const input = form.querySelector<HTMLElement>(`[name="${CSS.escape(issue.field)}"]`);
    if (!input) {
      all = false;
      continue;
    }
    const id = idPrefix + issue.field;
    const err = h('span', {
      class: 'field-err err',
      id,
      role: 'alert',
      'data-code': issue.code,
      text: text(issue, e.status),
    });
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', id);
    input.insertAdjacentElement('afterend', err);
  }
  if (all) input0(form)?.focus();
  return all;
}

const input0 = (form: HTMLElement) => form.querySelector<HTMLElement>('[aria-invalid=true]');

export function failedNotice(e: unknown): HTMLDivElement {
  return notice('error', N('loadFailed', { error: e instanceof Error ? e.message : String(e) }));
}

export function say(msg: HTMLElement, kind: 'ok' | 'error' | 'info', text: string): void {
  clear(msg).appendChild(notice(kind, text));
}

export const numberText = (n: number) => n.toLocaleString(boot.lang);

/**
 * A row's Edit and Delete buttons (`data-edit` / `data-delete` = the row's id); Delete asks first
 * with `confirm` (its title and text). Either may be left out.
 */
export function rowActions(
  id: number,
  onEdit: (() => void) | null,
  del: { title: string; text: string; action: () => Promise<unknown> } | null,
): HTMLTableCellElement {
  const edit = onEdit
    ? h('button', {
        type: 'button',
        class: 'btn small',
        'data-edit': id,
        text: T('common.edit'),
        onclick: onEdit,
      })
    : null;
  const remove = del
    ? h('button', {
        type: 'button',
        class: 'btn small danger',
        'data-delete': id,
        text: T('common.delete'),
        onclick: () => confirmBox(del.title, del.text, T('common.delete'), del.action),
      })
    : null;
  return h('td', { class: 'actions' }, edit, edit && remove ? ' ' : null, remove);
}
