import type { Bitrix24Client } from '../../integrations/bitrix24/bitrix24.client.js';
import { Bitrix24ChatRecords } from '../../integrations/bitrix24/chat-record.js';
import { Bitrix24CrmCards } from '../../integrations/bitrix24/crm-cards.js';
import { Bitrix24Workflows } from '../../integrations/bitrix24/robot.js';
import { gupshupTemplateHeader } from '../../integrations/gupshup/messages.js';
import type { Database } from '../../shared/db/database.js';
import type { MediaService } from '../media/media.service.js';
import { CHAT_PICKER_PATH, CRM_PICKER_PATH } from '../pages/picker-page.js';
import type { TemplateAccess } from './template-access.js';
import { TemplateFollowUps } from './template-followups.js';
import { TemplateOutbound } from './template-outbound.js';
import { TemplatePickerService, windowClosedOffer } from './template-picker.service.js';
import { ROBOT_PATH } from './template-robot.routes.js';
import { TemplateRobotService } from './template-robot.service.js';
import { TemplateSendRepository } from './template-send.repository.js';
import { TemplateSendService } from './template-send.service.js';

/** The templates module's sending part of the composition root (issue 11). */
/** Where the template picker, the CRM tab and the automation rule live (bound at install). */
export function templateWidgetUrls(publicUrl: string) {
  return {
    chatPicker: `${publicUrl}${CHAT_PICKER_PATH}`,
    crmCard: `${publicUrl}${CRM_PICKER_PATH}`,
    robotHandler: `${publicUrl}${ROBOT_PATH}`,
  };
}

/** Sending templates (issue 11): the send service and its entry points, the send's part, the follow-ups. */
export function buildTemplateSending(
  db: Database,
  bitrix: Bitrix24Client,
  media: MediaService,
  access: TemplateAccess,
  nudge: () => void,
) {
  const repo = new TemplateSendRepository(db);
  const cards = new Bitrix24CrmCards(bitrix);
  const send = new TemplateSendService({ repo, access, nudge });
  const composer = new TemplateOutbound({
    repo,
    links: media.signer,
    header: gupshupTemplateHeader,
    cards,
    nudge,
  });
  const followUps = new TemplateFollowUps({
    repo,
    records: new Bitrix24ChatRecords(bitrix),
    workflows: new Bitrix24Workflows(bitrix),
  });
  return {
    composer,
    followUps,
    offer: windowClosedOffer(repo),
    api: {
      send,
      picker: new TemplatePickerService({ repo, send, cards }),
      robot: new TemplateRobotService({ repo, send, nudge }),
    },
  };
}

export type TemplateSending = ReturnType<typeof buildTemplateSending>;
