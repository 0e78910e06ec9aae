/**
 * Tests the sandbox Bitrix24 portal itself against /work/shared/reference/bitrix24.md (section numbers
 * in the test names); nothing from src/ is used.
 * Batch, users and lines (§6.1, §6.4, §5).
 */
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { setup, teardown, rest, pick, portal, token, boot } from './harness.js';

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('batch, users, lines (§6.1, §6.4, §5)', () => {
    beforeEach(async () => {
      const users = Array.from({ length: 60 }, (_, i) => ({
        ID: i + 1,
        NAME: i === 0 ? 'Ana' : `Nombre${i + 1}`,
        LAST_NAME: i === 0 ? 'Admin' : i === 7 ? 'Quintero' : `Apellido${i + 1}`,
        ADMIN: i === 0,
      }));
      await boot({ users });
    });

    it('user.get pages by 50 with total/next; NAME_SEARCH and %NAME filters', async () => {
      const p1 = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', { auth: token });
      expect(p1.body.result).toHaveLength(50);
      expect(p1.body.total).toBe(60);
      expect(p1.body.next).toBe(50);
      const p2 = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', {
        auth: token,
        start: 50,
      });
      expect(p2.body.result.map((u) => u.ID)).toEqual(Array.from({ length: 10 }, (_, i) => String(51 + i)));
      expect(p2.body.next).toBeUndefined();
      const s = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', {
        auth: token,
        FILTER: { NAME_SEARCH: 'quint' },
      });
      expect(s.body.result.map((u) => u.ID)).toEqual(['8']);
      const like = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', {
        auth: token,
        filter: { '%NAME': 'bre5' },
      });
      expect(like.body.result.map((u) => u.ID)).toEqual([
        '5',
        '50',
        '51',
        '52',
        '53',
        '54',
        '55',
        '56',
        '57',
        '58',
        '59',
      ]);
      const admin = await rest<{ result: boolean }>(portal, 'user.admin', { auth: token });
      expect(admin.body.result).toBe(true);
    });

    it('imopenlines.config.list.get lists the lines', async () => {
      const r = await rest<{ result: Array<Record<string, unknown>> }>(
        portal,
        'imopenlines.config.list.get',
        { auth: token },
      );
      expect(r.body.result).toEqual([
        { ID: '1', ACTIVE: 'Y', LINE_NAME: 'Ventas' },
        { ID: '2', ACTIVE: 'Y', LINE_NAME: 'Soporte' },
      ]);
    });

    it('batch: string commands, result_error, $result references, limits', async () => {
      type B = {
        result: {
          result: Record<string, unknown>;
          result_error: Record<string, { error: string }>;
          result_total: Record<string, number>;
        };
      };
      const r = await rest<B>(portal, 'batch', {
        auth: token,
        halt: 0,
        cmd: {
          me: 'profile',
          users: 'user.get?FILTER[ID]=8',
          again: 'user.get?FILTER[ID]=$result[users][0][ID]',
          missing: 'no.such.method',
          inner: 'batch?cmd[a]=profile',
        },
      });
      expect(r.status).toBe(200);
      expect(pick(r.body.result.result, 'me.ID')).toBe('1');
      expect((r.body.result.result['again'] as Array<{ ID: string }>)[0]?.ID).toBe('8');
      expect(r.body.result.result_total['users']).toBe(1);
      expect(r.body.result.result_error['missing']?.error).toBe('ERROR_METHOD_NOT_FOUND');
      expect(r.body.result.result_error['inner']?.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');

      const list = await rest<{ result: { result: unknown; result_error: unknown } }>(portal, 'batch', {
        auth: token,
        cmd: ['profile', 'user.admin'],
      });
      expect(Array.isArray(list.body.result.result)).toBe(true);
      expect(list.body.result.result_error).toEqual([]);

      const tooMany = await rest(portal, 'batch', {
        auth: token,
        cmd: Array.from({ length: 51 }, () => 'profile'),
      });
      expect([tooMany.status, tooMany.body.error]).toEqual([400, 'ERROR_BATCH_LENGTH_EXCEEDED']);
      // one batch = one request for the rate bucket (§7)
      expect(portal.calls().filter((c) => c.method === 'batch')).toHaveLength(3);
    });
  });
});
