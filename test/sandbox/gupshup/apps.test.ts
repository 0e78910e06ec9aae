/**
 * Tests the Gupshup sandbox itself against /work/shared/reference/gupshup.md (§ numbers cited).
 * App APIs opened by an API key alone (§4.1 template list, §5.2 legacy wallet).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP, sb, setup, teardown, type Json } from './harness.js';

describe('app APIs with an API key (§4.1 template list, §5.2 legacy wallet)', () => {
  beforeEach(() => setup());
  afterEach(teardown);

  const get = async (path: string, key?: string) => {
    const res = await fetch(sb.url + path, { headers: key ? { apikey: key } : {} });
    return { status: res.status, json: (await res.json()) as Json };
  };

  it('template list answers success for the app of the key, 401 for another key, 400 for an unknown app', async () => {
    sb.addApp({
      appName: 'OtherApp02',
      apiKey: 'key-other-0002',
      sourceNumber: '5491100000002',
      appId: 'app-2',
    });
    const mine = sb.addApp({
      appName: 'ThirdApp03',
      apiKey: 'key-third-0003',
      sourceNumber: '5491100000003',
    });
    expect(await get(`/wa/app/${mine.appId}/template`, 'key-third-0003')).toEqual({
      status: 200,
      json: { status: 'success', templates: [] },
    });
    expect((await get(`/wa/app/${mine.appId}/template`, 'key-other-0002')).status).toBe(401);
    expect((await get(`/wa/app/${mine.appId}/template`)).status).toBe(401);
    expect(await get('/wa/app/no-such-app/template', 'key-third-0003')).toEqual({
      status: 400,
      json: { status: 'error', message: 'Invalid App ID' },
    });
  });

  it('wallet balance follows the app of the key and its empty wallet', async () => {
    expect(await get('/sm/api/v2/wallet/balance', APP.apiKey)).toEqual({
      status: 200,
      json: { balance: 25.5, status: 'success' },
    });
    sb.setWalletEmpty(APP.appName, true);
    expect((await get('/sm/api/v2/wallet/balance', APP.apiKey)).json.balance).toBe(0);
    expect((await get('/sm/api/v2/wallet/balance', 'nope')).status).toBe(401);
  });
});
