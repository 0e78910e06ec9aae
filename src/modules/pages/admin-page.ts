import { z } from 'zod';
import { ValidationError } from '../../shared/errors.js';
import type { Lang } from '../../shared/i18n.js';
import { lineIdInput } from '../../shared/validate.js';
import { frameParams } from './boot.js';
import { uiTexts } from './texts.js';
import type { AdminBoot } from './ui/types.js';

/**
 * What Bitrix24 posts to open the app's page and the SETTING_CONNECTOR placement (reference §1.2,
 * §4.7), and the boot data those pages hand their script.
 */

export const pageBody = z
  .object({
    AUTH_ID: z.string().min(1).max(512),
    member_id: z.string().min(1).max(128),
    PLACEMENT: z.string().max(64).optional(),
    PLACEMENT_OPTIONS: z.string().max(10_000).optional(),
  })
  .loose();

const connectorOptions = z
  .object({
    LINE: lineIdInput,
    ACTIVE_STATUS: z.unknown().optional(),
    STATUS: z.unknown().optional(),
  })
  .loose();

/** The connector placement's line and whether the connector is active on it (PLACEMENT_OPTIONS, JSON). */
export function connectorPlacement(options: string | undefined): { line: number; active: boolean } {
  let raw: unknown;
  try {
    raw = JSON.parse(options ?? '');
  } catch {
    throw new ValidationError('PLACEMENT_OPTIONS is not JSON');
  }
  const o = connectorOptions.safeParse(raw);
  if (!o.success) throw new ValidationError('PLACEMENT_OPTIONS.LINE: the open line is missing');
  const on = o.data.ACTIVE_STATUS;
  return { line: o.data.LINE, active: on === true || on === 'Y' || on === 1 || on === '1' };
}

/** "acme.bitrix24.es" → "Acme": the portal's name, a starting point for the company name field. */
function portalCompany(domain: string): string {
  const first = domain.split(/[.:]/)[0] ?? '';
  return /^\d+$/.test(first) ? '' : first.charAt(0).toUpperCase() + first.slice(1);
}

export function adminBoot(p: {
  page: AdminBoot['page'];
  lang: Lang;
  query: Parameters<typeof frameParams>[0];
  /** The frontend auth the page was opened with. */
  auth: Record<string, string>;
  who: { admin: boolean; userId: number | null; name: string };
  connector: AdminBoot['connector'];
  picker?: AdminBoot['picker'];
}): AdminBoot {
  return {
    page: p.page,
    lang: p.lang,
    texts: uiTexts(p.lang),
    auth: new URLSearchParams(p.auth).toString(),
    admin: p.who.admin,
    userId: p.who.userId,
    userName: p.who.name,
    connector: p.connector,
    ...(p.picker ? { picker: p.picker } : {}),
    defaults: { companyName: portalCompany(p.query.DOMAIN), contactName: p.who.name },
    frame: frameParams(p.query),
  };
}
