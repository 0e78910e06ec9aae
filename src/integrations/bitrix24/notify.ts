import type { Bitrix24Client } from './bitrix24.client.js';

/**
 * System notifications to portal users (`im.notify.system.add`, scope `im`, from the app's stored
 * token): the bell in Bitrix24, and its e-mail or push per the user's settings. A notification with the
 * same `TAG` replaces the user's earlier one, so a retried call shows one notification, not two.
 */
export class Bitrix24Notifications {
  constructor(private readonly client: Bitrix24Client) {}

  async notify(portalId: number, userId: number, message: string, tag: string): Promise<void> {
    await this.client.call(
      portalId,
      'im.notify.system.add',
      { USER_ID: userId, MESSAGE: message, TAG: tag },
      { background: true },
    );
  }
}
