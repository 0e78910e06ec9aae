import { z } from 'zod';
import { ProviderError } from '../../shared/errors.js';
import type { Bitrix24Client } from './bitrix24.client.js';

/**
 * A sent template shown in its open-line chat (C6). A connector has no REST method to put an
 * operator-side message into a chat: `imconnector.send.messages` is the customer's side (reference
 * bitrix24.md §3.7, §5). Two ways are documented, and which one Bitrix24 echoes back to the
 * connector is not confirmed (§12), so both are built and the record carries the app's mark
 * (RECORD_MARK, shared/texts.ts) that keeps an echo from being sent to the customer:
 *
 * - as the agent, when the chat is bound to a CRM record: `imopenlines.crm.message.add`
 *   (`CRM_ENTITY_TYPE`, `CRM_ENTITY`, `USER_ID`, `CHAT_ID`, `MESSAGE`; b24restdocs
 *   imopenlines/openlines/messages/imopenlines-crm-message-add.md: "sends a message on behalf of an
 *   employee or bot to a chat bound to a CRM element"; the user must be a member of the chat);
 * - otherwise, or when that is refused, as a system line naming who sent it: `im.message.add` with
 *   `DIALOG_ID=chat<ID>` and `SYSTEM=Y` (§5), as the failure notes are written.
 */

export interface ChatRecord {
  portalId: number;
  chatId: number;
  /** The whole record, for the system line. */
  text: string;
  /** The record as the agent's own message: without the "sent by" words. */
  agentText: string;
  agent: { userId: number; crm: { entity: string; id: number } } | null;
}

const user = z.array(z.object({ NAME: z.string().nullish(), LAST_NAME: z.string().nullish() }).loose());

export class Bitrix24ChatRecords {
  constructor(private readonly client: Pick<Bitrix24Client, 'call'>) {}

  /** Posts the record; says which way it went. Bitrix24's passing faults throw (the job retries). */
  async post(r: ChatRecord): Promise<'agent' | 'system'> {
    if (r.agent) {
      try {
        await this.client.call(r.portalId, 'imopenlines.crm.message.add', {
          CRM_ENTITY_TYPE: r.agent.crm.entity,
          CRM_ENTITY: r.agent.crm.id,
          USER_ID: r.agent.userId,
          CHAT_ID: r.chatId,
          MESSAGE: r.agentText,
        });
        return 'agent';
      } catch (err) {
        // Refused for good (not a member, chat not bound): the system line says who sent it.
        if (!(err instanceof ProviderError) || err.retryable) throw err;
      }
    }
    await this.client.call(r.portalId, 'im.message.add', {
      DIALOG_ID: `chat${r.chatId}`,
      MESSAGE: r.text,
      SYSTEM: 'Y',
    });
    return 'system';
  }

  /** A portal user's name (user.get by ID), or null when Bitrix24 does not say. */
  async userName(portalId: number, userId: number): Promise<string | null> {
    const r = user.safeParse(
      await this.client.call(portalId, 'user.get', { FILTER: { ID: userId } }, { background: true }),
    );
    const u = r.success ? r.data[0] : undefined;
    const name = [u?.NAME, u?.LAST_NAME].filter(Boolean).join(' ').trim();
    return name || null;
  }
}
