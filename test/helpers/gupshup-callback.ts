/**
 * Posts a Gupshup v2 callback (reference/gupshup.md §3.2) straight to a channel's callback URL: for
 * the tests that need an event the sandbox would not send as it is (out of order, to one instance of
 * two, a repeat of a stored one). Resolves with the HTTP status.
 */
export async function postGupshupCallback(
  url: string,
  app: string,
  type: 'message' | 'message-event',
  payload: Record<string, unknown>,
): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ app, timestamp: Date.now(), version: 2, type, payload }),
  });
  await res.body?.cancel();
  return res.status;
}
