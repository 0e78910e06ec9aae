import type { IncomingMessage, ServerResponse } from 'node:http';

/** Plain node:http plumbing the payment sandboxes (Stripe stand-in, PayPal) share. */
export function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** JSON (or `type`) with the provider's own request-id header (`request-id`, `paypal-debug-id`). */
export function sendAs(
  requestIdHeader: Record<string, string> | (() => Record<string, string>),
): (res: ServerResponse, status: number, body: unknown, type?: string) => void {
  return (res, status, body, type = 'application/json') => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const extra = typeof requestIdHeader === 'function' ? requestIdHeader() : requestIdHeader;
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...extra });
    res.end(text);
  };
}

/** Stripe's hosted pages answer 303, PayPal's approval page 302. */
export function redirect(res: ServerResponse, to: string, status = 302): void {
  res.writeHead(status, { location: to, 'content-length': 0 });
  res.end();
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
