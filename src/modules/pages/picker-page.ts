import { z } from 'zod';
import { ValidationError } from '../../shared/errors.js';
import { INT_MAX } from '../../shared/validate.js';
import type { PickerContext } from './ui/types.js';

/**
 * Where the template picker was opened (issue 11): the placements the install binds
 * (integrations/bitrix24/template-widgets.ts). A chat placement (IM_TEXTAREA, IM_SIDEBAR) names its
 * dialog, `PLACEMENT_OPTIONS {"dialogId":"chat1489"}`; a one-to-one dialog (a user id) is not an
 * open-line chat, so the page says so (chatId null). A CRM tab names its record,
 * `{"ID":"3473"}`, and its type is in the placement code (b24restdocs widgets/crm/detail-tab.md).
 */

export const CHAT_PICKER_PATH = '/b24/chat-templates';
export const CRM_PICKER_PATH = '/b24/crm-templates';

const CRM_TABS = {
  CRM_CONTACT_DETAIL_TAB: 'contact',
  CRM_LEAD_DETAIL_TAB: 'lead',
  CRM_DEAL_DETAIL_TAB: 'deal',
} as const;

const chatOptions = z.object({ dialogId: z.coerce.string().max(64) }).loose();
const crmOptions = z.object({ ID: z.coerce.number().int().positive().max(INT_MAX) }).loose();

function options(raw: string | undefined): unknown {
  try {
    return JSON.parse(raw ?? '');
  } catch {
    throw new ValidationError('PLACEMENT_OPTIONS is not JSON');
  }
}

export function pickerContext(
  kind: 'chat' | 'crm',
  placement: string | undefined,
  raw: string | undefined,
): PickerContext {
  if (kind === 'chat') {
    const o = chatOptions.safeParse(options(raw));
    if (!o.success) throw new ValidationError('PLACEMENT_OPTIONS.dialogId: the chat is missing');
    const m = /^chat(\d{1,15})$/.exec(o.data.dialogId);
    return { kind: 'chat', chatId: m ? Number(m[1]) : null };
  }
  const entityType = CRM_TABS[(placement ?? '').toUpperCase() as keyof typeof CRM_TABS];
  if (!entityType) throw new ValidationError('PLACEMENT: not a contact, lead or deal tab');
  const o = crmOptions.safeParse(options(raw));
  if (!o.success) throw new ValidationError('PLACEMENT_OPTIONS.ID: the CRM record is missing');
  return { kind: 'crm', entityType, entityId: o.data.ID };
}
