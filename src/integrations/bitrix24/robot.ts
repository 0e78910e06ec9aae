import { z } from 'zod';
import { describeIssues, ValidationError } from '../../shared/errors.js';
import type { Bitrix24Client } from './bitrix24.client.js';

/**
 * The automation rule's side of Bitrix24 (reference bitrix24.md §5.9): what Bitrix24 posts to the
 * robot's HANDLER when a workflow reaches it, and the answer that lets the workflow go on.
 *
 * The call is form-encoded like an event (§2.2): `event_token` (the key of the answer), `workflow_id`,
 * `code` (the robot's CODE), `document_id` / `document_type` (`['crm','CCrmDocumentDeal','DEAL_12']`),
 * `properties[...]` with the values the rule was configured with (CRM field values already filled in
 * by Bitrix24; a Multiple property comes as a list), `ts`, and `auth[...]` with `member_id` and
 * `application_token`, checked like any event (§2.3). The field names are confirmed by b24restdocs
 * bizproc-event-send.md (`EVENT_TOKEN` "received by the handler in the array of input data") and
 * by public robot handlers (`$_REQUEST['event_token']`, `['properties']`, `['document_id'][2]`).
 */

const text = z.string().max(10_000);
/** A Multiple property arrives as a list, or as an object keyed by index once form-encoded. */
const many = z
  .union([text, z.array(text), z.record(z.string(), text)])
  .transform((v) => (typeof v === 'string' ? [v] : Object.values(v)));

const robotCall = z
  .object({
    event_token: z.string().min(1).max(1_000),
    workflow_id: z.string().max(128).optional(),
    code: z.string().min(1).max(64),
    document_id: z.union([z.array(text), z.record(z.string(), text)]).optional(),
    properties: z
      .object({
        channel: text.optional(),
        template: text.optional(),
        phone: text.optional(),
        params: many.optional(),
        mediaUrl: text.optional(),
      })
      .loose()
      .default({}),
    auth: z
      .object({ member_id: z.string().min(1).max(128), application_token: z.string().min(1).max(256) })
      .loose(),
  })
  .loose();

/** A robot call, read into our own shape. */
export interface RobotCall {
  eventToken: string;
  workflowId: string | undefined;
  code: string;
  /** The CRM document the workflow runs on, e.g. `DEAL_12`. */
  document: string | undefined;
  memberId: string;
  applicationToken: string;
  properties: { channel: string; template: string; phone: string; params: string[]; mediaUrl: string };
}

/** Reads a robot call; anything that is not one (no event token, no auth) is a 400 saying why. */
export function parseRobotCall(body: unknown): RobotCall {
  const r = robotCall.safeParse(body ?? {});
  if (!r.success) throw new ValidationError(`Not an automation rule call: ${describeIssues(r.error.issues)}`);
  const d = r.data;
  const doc = d.document_id ? Object.values(d.document_id) : [];
  return {
    eventToken: d.event_token,
    workflowId: d.workflow_id,
    code: d.code,
    document: doc[2],
    memberId: d.auth.member_id,
    applicationToken: d.auth.application_token,
    properties: {
      channel: d.properties.channel?.trim() ?? '',
      template: d.properties.template?.trim() ?? '',
      phone: d.properties.phone?.trim() ?? '',
      params: d.properties.params ?? [],
      mediaUrl: d.properties.mediaUrl?.trim() ?? '',
    },
  };
}

/** The values the robot returns (its RETURN_PROPERTIES, template-widgets.ts). */
export interface RobotResult {
  sent: boolean;
  messageId: string;
  error: string;
}

/** Answers a waiting workflow (`bizproc.event.send`): its additional results and a log line. */
export class Bitrix24Workflows {
  constructor(private readonly client: Pick<Bitrix24Client, 'call'>) {}

  async answer(portalId: number, eventToken: string, result: RobotResult, logMessage: string): Promise<void> {
    await this.client.call(portalId, 'bizproc.event.send', {
      EVENT_TOKEN: eventToken,
      RETURN_VALUES: { sent: result.sent ? 'Y' : 'N', messageId: result.messageId, error: result.error },
      LOG_MESSAGE: logMessage,
    });
  }
}
