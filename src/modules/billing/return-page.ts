import type { Lang } from '../../shared/i18n.js';
import type { ApiOrderStatus } from './checkout.schemas.js';

/**
 * The pages the payer comes back to from Stripe or PayPal (outside the Bitrix24 frame: a provider's
 * checkout cannot be framed). Server-rendered in the portal's language; a small script of our own
 * (`/billing/return.js`, CSP `script-src 'self'`) polls the order's status with the order's token
 * until the webhook has credited it, then shows the result and the way back to the portal.
 */
type Entry = [es: string, en: string, pt: string];
const T = {
  title: ['Pago', 'Payment', 'Pagamento'],
  pending: [
    'Esperando la confirmación del pago…',
    'Waiting for the payment to be confirmed…',
    'Aguardando a confirmação do pagamento…',
  ],
  paid: [
    'Pago recibido: los mensajes ya están en su saldo.',
    'Payment received: the messages are in your balance.',
    'Pagamento recebido: as mensagens já estão no seu saldo.',
  ],
  paidSubscription: [
    'Pago recibido: la suscripción del canal está activa.',
    'Payment received: the channel subscription is active.',
    'Pagamento recebido: a assinatura do canal está ativa.',
  ],
  cancelled: [
    'El pago se canceló; no se cobró nada.',
    'The payment was cancelled; nothing was charged.',
    'O pagamento foi cancelado; nada foi cobrado.',
  ],
  cancelPage: [
    'Volvió sin pagar; no se cobró nada. Puede comprar de nuevo desde la pestaña Facturación.',
    'You came back without paying; nothing was charged. You can buy again from the Billing tab.',
    'Você voltou sem pagar; nada foi cobrado. Pode comprar de novo na aba Faturamento.',
  ],
  failed: [
    'El pago no se completó; no se acreditó nada.',
    'The payment did not go through; nothing was credited.',
    'O pagamento não foi concluído; nada foi creditado.',
  ],
  refunded: ['El pago se reembolsó.', 'The payment was refunded.', 'O pagamento foi reembolsado.'],
  disputed: ['El pago está en disputa.', 'The payment is disputed.', 'O pagamento está em disputa.'],
  slow: [
    'La confirmación tarda más de lo habitual; puede cerrar esta página: el saldo se actualizará solo.',
    'The confirmation is taking longer than usual; you may close this page: the balance updates by itself.',
    'A confirmação está demorando mais que o normal; pode fechar esta página: o saldo se atualiza sozinho.',
  ],
  back: ['Volver a Bitrix24', 'Back to Bitrix24', 'Voltar ao Bitrix24'],
  notFound: [
    'Este enlace de pago no es válido.',
    'This payment link is not valid.',
    'Este link de pagamento não é válido.',
  ],
} satisfies Record<string, Entry>;

const LANGS: Lang[] = ['es', 'en', 'pt'];
export const returnText = (lang: Lang, k: keyof typeof T): string => T[k][LANGS.indexOf(lang)] as string;

export const RETURN_SCRIPT_PATH = '/billing/return.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function returnPageHtml(p: {
  lang: Lang;
  page: 'return' | 'cancel';
  order: { id: number; kind: string; status: ApiOrderStatus; back: string | null } | null;
  token: string;
}): string {
  const t = (k: keyof typeof T) => returnText(p.lang, k);
  const texts = Object.fromEntries(Object.keys(T).map((k) => [k, t(k as keyof typeof T)]));
  const o = p.order;
  const message = !o
    ? t('notFound')
    : o.status === 'pending'
      ? p.page === 'cancel'
        ? t('cancelPage')
        : t('pending')
      : statusText(t, o.status, o.kind);
  const boot = JSON.stringify({
    order: o?.id ?? null,
    token: o ? p.token : null,
    kind: o?.kind ?? null,
    status: o?.status ?? null,
    poll: Boolean(o && o.status === 'pending' && p.page === 'return'),
    texts,
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="${p.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(t('title'))}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#333}
#status{padding:1rem;border-radius:8px;background:#f0f4f8}a{color:#2066b0}</style></head>
<body><h1>${esc(t('title'))}</h1>
<p id="status" data-status="${esc(o?.status ?? 'unknown')}">${esc(message)}</p>
${o?.back ? `<p><a id="back" href="${esc(o.back)}" rel="noopener">${esc(t('back'))}</a></p>` : ''}
<script type="application/json" id="boot">${boot}</script>
<script src="${RETURN_SCRIPT_PATH}" defer></script></body></html>`;
}

function statusText(t: (k: keyof typeof T) => string, s: ApiOrderStatus, kind: string): string {
  if (s === 'paid') return kind === 'subscription' ? t('paidSubscription') : t('paid');
  if (s === 'pending') return t('pending');
  return t(s);
}

/** The poller (plain browser JavaScript; no data but the boot JSON and the status answers). */
export const RETURN_SCRIPT = `(() => {
  const boot = JSON.parse(document.getElementById('boot').textContent);
  if (!boot.poll) return;
  const el = document.getElementById('status');
  const text = (s) => s === 'paid' ? (boot.kind === 'subscription' ? boot.texts.paidSubscription : boot.texts.paid)
    : (boot.texts[s] || boot.texts.pending);
  let tries = 0;
  const tick = async () => {
    tries += 1;
    try {
      const r = await fetch('/billing/orders/' + boot.order + '/status?t=' + encodeURIComponent(boot.token),
        { cache: 'no-store' });
      if (r.ok) {
        const b = await r.json();
        if (b.status !== 'pending') { el.textContent = text(b.status); el.dataset.status = b.status; return; }
      }
    } catch (e) { /* try again */ }
    if (tries === 40) el.textContent = boot.texts.slow;
    setTimeout(tick, tries < 20 ? 1000 : 5000);
  };
  tick();
})();
`;
