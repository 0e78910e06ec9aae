import { z } from 'zod';
import type { CrmEntity, OpenLines } from '../../modules/roles/ports.js';
import { INT_MAX } from '../../shared/validate.js';
import type { Bitrix24Client } from './bitrix24.client.js';
import { politely } from './rate-retry.js';

/** imopenlines.crm.chat.get's answer: `[{ CHAT_ID: "1763", CONNECTOR_ID, CONNECTOR_TITLE }]`. */
const crmChats = z.array(z.object({ CHAT_ID: z.coerce.number().int().positive().max(INT_MAX) }).loose());

/**
 * The portal's open lines (reference §5 imopenlines.*): listing them, handing a chat over, and the
 * chats bound to a CRM record.
 */
export class Bitrix24OpenLines implements OpenLines {
  constructor(private readonly client: Bitrix24Client) {}

  /** Every line by id (at most 200, the method's limit), for a person waiting: retried politely. */
  async list(portalId: number): Promise<Array<{ id: number; name: string }>> {
    const rows = await politely(() =>
      this.client.call<Array<{ ID: string; LINE_NAME: string; ACTIVE?: string }>>(
        portalId,
        'imopenlines.config.list.get',
        { PARAMS: { select: ['ID', 'LINE_NAME', 'ACTIVE'], order: { ID: 'ASC' }, limit: 200 } },
      ),
    );
    return rows.map((l) => ({ id: Number(l.ID), name: l.LINE_NAME }));
  }

  /** Hands an open-line chat to an operator; background work (it gives way to message delivery). */
  async transfer(portalId: number, chatId: number, userId: number): Promise<void> {
    await this.client.call(
      portalId,
      'imopenlines.operator.transfer',
      { CHAT_ID: chatId, TRANSFER_ID: userId },
      { background: true },
    );
  }

  /**
   * Hands an open-line chat to another line's queue (QUEUE_ID, b24restdocs imopenlines/openlines/
   * operators/imopenlines-operator-transfer.md); background work.
   */
  async transferToLine(portalId: number, chatId: number, lineId: number): Promise<void> {
    await this.client.call(
      portalId,
      'imopenlines.operator.transfer',
      { CHAT_ID: chatId, QUEUE_ID: lineId },
      { background: true },
    );
  }

  /**
   * The chats Bitrix24 has bound to a CRM record, active or not (imopenlines.crm.chat.get, b24restdocs
   * imopenlines/openlines/chats/imopenlines-crm-chat-get.md; `CRM_ENTITY`, not `CRM_ENTITY_ID`).
   * Background work.
   */
  async chatsOf(portalId: number, entity: CrmEntity, id: number): Promise<number[]> {
    const rows = crmChats.parse(
      await this.client.call(
        portalId,
        'imopenlines.crm.chat.get',
        { CRM_ENTITY_TYPE: entity, CRM_ENTITY: id, ACTIVE_ONLY: 'N' },
        { background: true },
      ),
    );
    return rows.map((r) => r.CHAT_ID);
  }
}
