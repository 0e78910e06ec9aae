import { describe, expect, it } from 'vitest';
import { retry } from '../../src/shared/retry.js';
import { retryOnConflict } from '../../src/shared/db/retry.js';
import { politely } from '../../src/integrations/bitrix24/rate-retry.js';
import { ProviderError } from '../../src/shared/errors.js';

describe('retry: the one retry loop and its two policies', () => {
  it('tries again as long as the policy names a delay, and returns the first success', async () => {
    const seen: number[] = [];
    const r = await retry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error(`fail ${attempt}`);
        return 'ok';
      },
      () => 0,
    );
    expect(r).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('throws the error the policy gave up on', async () => {
    let calls = 0;
    const fail = retry(
      async () => {
        calls++;
        throw new Error(`fail ${calls}`);
      },
      (_err, attempt) => (attempt < 2 ? 0 : undefined),
    );
    await expect(fail).rejects.toThrow('fail 2');
    expect(calls).toBe(2);
  });

  it('retryOnConflict repeats deadlocks and serialization failures only, at most `attempts` times', async () => {
    let n = 0;
    await expect(
      retryOnConflict(async () => {
        n++;
        throw Object.assign(new Error('deadlock'), { code: '40P01' });
      }, 3),
    ).rejects.toThrow('deadlock');
    expect(n).toBe(3);
    let m = 0;
    await expect(
      retryOnConflict(async () => {
        m++;
        throw Object.assign(new Error('unique'), { code: '23505' });
      }),
    ).rejects.toThrow('unique');
    expect(m).toBe(1);
  });

  it('politely waits out a short throttle but not a long one or another error', async () => {
    const throttled = (ms: number) =>
      new ProviderError('bitrix24', 'user.get', 'slow down', {
        providerCode: 'QUERY_LIMIT_EXCEEDED',
        retryable: true,
        throttled: true,
        retryAfterMs: ms,
      });
    let a = 0;
    expect(
      await politely(async () => {
        a++;
        if (a === 1) throw throttled(1);
        return 'done';
      }),
    ).toBe('done');
    let b = 0;
    await expect(
      politely(async () => {
        b++;
        throw throttled(10_000);
      }),
    ).rejects.toThrow('slow down');
    expect(b).toBe(1);
  });
});
