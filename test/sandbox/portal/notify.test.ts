/**
 * Tests the sandbox Bitrix24 portal's system notifications (not in reference/bitrix24.md; as
 * b24restdocs im-notify-system-add.md gives them): `im.notify.system.add` answers the notification's
 * id, refuses a missing recipient or text, and a later notification with the same TAG replaces the
 * user's earlier one. Nothing from src/ is used.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boot, portal, rest, setup, teardown, token } from './harness.js';

describe('sandbox Bitrix24 portal: im.notify.system.add', () => {
  beforeEach(setup);
  afterEach(teardown);

  it('stores a notification per user and tag, and answers its id', async () => {
    await boot();
    const add = (p: Record<string, unknown>) => rest(portal, 'im.notify.system.add', { auth: token, ...p });
    const first = await add({ USER_ID: 1, MESSAGE: 'uno', TAG: 't1' });
    expect(first.status).toBe(200);
    expect(first.body.result).toEqual(expect.any(Number));
    expect((await add({ USER_ID: 1, MESSAGE: 'sin etiqueta' })).status).toBe(200);
    expect((await add({ USER_ID: 1, MESSAGE: 'dos', TAG: 't1' })).status).toBe(200);
    expect(portal.notifications().map((n) => [n.userId, n.message, n.tag])).toEqual([
      [1, 'dos', 't1'],
      [1, 'sin etiqueta', null],
    ]);
  });

  it('refuses a missing or unknown recipient and an empty text', async () => {
    await boot();
    const add = (p: Record<string, unknown>) => rest(portal, 'im.notify.system.add', { auth: token, ...p });
    const noUser = await add({ MESSAGE: 'x' });
    expect(noUser.status).toBe(400);
    expect(noUser.body.error).toBe('USER_ID_EMPTY');
    expect((await add({ USER_ID: 999_999, MESSAGE: 'x' })).body.error).toBe('USER_ID_EMPTY');
    const empty = await add({ USER_ID: 1, MESSAGE: '  ' });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toBe('MESSAGE_EMPTY');
    expect(portal.notifications()).toEqual([]);
  });
});
