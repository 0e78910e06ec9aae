import type { SandboxPortal } from '../../scripts/sandbox/portal/index.js';

/**
 * For tests that run the app as its own process (SIGKILL, restarts): install it into the sandbox
 * portal, get an API token, connect a channel and activate it on line 1, over HTTP only.
 */
export async function installAndConnect(
  url: string,
  portal: SandboxPortal,
  c: { name: string; appName: string; sourceNumber: string; apiKey: string },
): Promise<{ token: string; channel: { id: string; callbackUrl: string }; activateStatus: number }> {
  await portal.installApp({ installUrl: `${url}/b24/install` });
  portal.finishInstall();
  const auth = {
    DOMAIN: portal.domain,
    AUTH_ID: portal.issueTokens({ userId: 1 }).accessToken,
    member_id: portal.memberId,
  };
  const { token } = (await (
    await fetch(`${url}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(auth),
    })
  ).json()) as { token: string };
  const { appName, ...rest } = c;
  const h = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const channel = (await (
    await fetch(`${url}/api/v1/channels`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ ...rest, gupshupAppName: appName }),
    })
  ).json()) as { id: string; callbackUrl: string };
  const activated = await fetch(`${url}/api/v1/channels/${channel.id}/activate`, {
    method: 'POST',
    headers: h,
    body: '{"lineId":1}',
  });
  return { token, channel, activateStatus: activated.status };
}

/**
 * Customer message number `i` to a channel's callback, as Gupshup posts it (v2): 20 customers in
 * turn from `phoneBase`. The HTTP status, or null when the app was not there to answer (killed).
 */
export function postCustomerText(
  callbackUrl: string,
  o: { appName: string; tag: string; phoneBase: number },
  i: number,
): Promise<number | null> {
  return fetch(callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      app: o.appName,
      timestamp: Date.now(),
      version: 2,
      type: 'message',
      payload: {
        id: `wamid.${o.tag}.${i}`,
        type: 'text',
        payload: { text: `${o.tag[0] ?? 'm'}${i}` },
        sender: { phone: `549110000${String(o.phoneBase + (i % 20))}` },
      },
    }),
  }).then(
    (r) => r.status,
    () => null,
  );
}
