import { describe, expect, it } from 'vitest';
import { installAndToken } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/**
 * The install's setup calls Bitrix24 with the proven token before the portal is stored, so outside
 * the portal's shared rate bucket; they are counted into it once the portal exists, or the first
 * messages find Bitrix24's bucket fuller than ours and are refused (QUERY_LIMIT_EXCEEDED). The event
 * bindings go out as one batch, so the setup is a handful of calls, not one per event.
 */
describe('the install and the portal rate budget', () => {
  const s = useStack({ worker: false });

  it('counts the setup calls made before the portal existed into its bucket', async () => {
    await installAndToken(s);
    const portal = await s.deps.db
      .selectFrom('portals')
      .select('id')
      .where('member_id', '=', s.portal.memberId)
      .executeTakeFirstOrThrow();
    const setupCalls = s.portal
      .calls()
      .filter((c) => ['imconnector.register', 'batch'].includes(c.method)).length;
    expect(setupCalls).toBe(2);
    const bucket = await s.deps.db
      .selectFrom('rate_buckets')
      .select('level')
      .where('key', '=', `b24:${portal.id}`)
      .executeTakeFirst();
    // Drained a little since (2 per second), but there: without the count there is no row at all.
    expect(Number(bucket?.level ?? 0)).toBeGreaterThan(1);
    expect(s.portal.bindings().length).toBeGreaterThanOrEqual(9);
  });
});
