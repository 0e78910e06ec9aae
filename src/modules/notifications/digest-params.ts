import type { NotificationParam } from '../../shared/db/schema.js';

/**
 * What a digest's template says, filled in from its events: the report's `params` map the template's
 * {{1}}, {{2}}… to the count of events, the list of their titles, the company's name, a link to the
 * CRM, or the group's name. Pure. WhatsApp refuses a parameter that is empty, longer than 1024
 * characters, or has a new line, a tab or four spaces in a row (reference gupshup §4.4), so every value
 * is written on one line and cut to fit.
 */
export interface DigestEvent {
  entity_type: 'deal' | 'lead';
  entity_id: number;
  company_id: number | null;
  title: string;
  /** When it happened in the CRM: titles are listed in that order (then by id), not as recorded. */
  occurred_at?: Date;
}

export interface DigestContext {
  /** The portal's Bitrix24 domain, for links to the CRM. */
  domain: string;
  groupName: string;
  /** Titles of the companies the group chose (a group hearing about every company has none). */
  companies: ReadonlyMap<number, string>;
}

const PARAM_MAX = 1024;
/** Titles listed by name; the rest are counted ("… and 7 more"). */
const TITLES_LISTED = 10;

export function digestParams(map: readonly NotificationParam[], events: DigestEvent[], c: DigestContext) {
  return map.map((p) => fit(value(p, events, c)));
}

function value(p: NotificationParam, events: DigestEvent[], c: DigestContext): string {
  switch (p) {
    case 'count':
      return String(events.length);
    case 'titles': {
      const titles = inCrmOrder(events)
        .slice(0, TITLES_LISTED)
        .map((e) => oneLine(e.title) || `#${e.entity_id}`);
      const more = events.length - titles.length;
      return more > 0 ? `${titles.join(', ')} (+${more})` : titles.join(', ');
    }
    case 'company': {
      const ids = [...new Set(events.map((e) => e.company_id).filter((id): id is number => id !== null))];
      const names = ids.map((id) => oneLine(c.companies.get(id) ?? '') || `#${id}`);
      return names.join(', ') || '-';
    }
    case 'link':
      return crmLink(events, c.domain);
    case 'group':
      return oneLine(c.groupName);
  }
}

/** One event: its card; several: the list of deals or leads. */
function crmLink(events: DigestEvent[], domain: string): string {
  const first = events[0];
  const base = `https://${domain}/crm`;
  if (!first) return `${base}/`;
  if (events.length === 1) return `${base}/${first.entity_type}/details/${first.entity_id}/`;
  return `${base}/${first.entity_type}/list/`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function fit(text: string): string {
  const t = oneLine(text) || '-';
  return t.length > PARAM_MAX ? `${t.slice(0, PARAM_MAX - 1)}…` : t;
}

/** Events recorded by concurrent jobs arrive in any order; the digest lists them as they happened. */
function inCrmOrder(events: DigestEvent[]): DigestEvent[] {
  const at = (e: DigestEvent) => e.occurred_at?.getTime() ?? 0;
  return [...events].sort((a, b) => at(a) - at(b) || a.entity_id - b.entity_id);
}
