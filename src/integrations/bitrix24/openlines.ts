import type { OpenLines } from '../../modules/roles/ports.js';
import type { Bitrix24Client } from './bitrix24.client.js';
import { politely } from './rate-retry.js';

/** The portal's open lines (reference §5 imopenlines.*): listing them and handing a chat over. */
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
}
