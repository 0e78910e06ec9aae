import type { TemplateButton } from '../../templates/template-model.js';
import { h } from './dom.js';
import { boot, T } from './page.js';

/**
 * The WhatsApp-style preview of a template (issue 11), shared by the request form and the picker: the
 * chat's background, the bubble with the header (text in bold, or the media's place with the file
 * when one is chosen), the body with WhatsApp's formatting (*bold*, _italic_, ~strike~, ```mono```),
 * the footer in grey, the time, and the buttons under the bubble. Variables show their value (or the
 * example) marked, or `{{n}}` when there is none yet. Built from DOM nodes only (no innerHTML).
 */

export interface PreviewInput {
  type: string;
  header?: string | null | undefined;
  /** The value of the text header's {{1}}. */
  headerValue?: string | undefined;
  body: string;
  /** The values of the body's {{1}}…{{n}}, in order. */
  values: ReadonlyArray<string | undefined>;
  footer?: string | null | undefined;
  buttons?: readonly TemplateButton[] | undefined;
  /** The header file: an image's data: URL to show, or a name to show for a document or video. */
  media?: { url?: string | undefined; name?: string | undefined } | undefined;
}

const SVG = 'http://www.w3.org/2000/svg';

/** A small outline icon (24×24) for the media header and the buttons. */
function icon(d: string, size = 24): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.8');
  path.setAttribute('stroke-linecap', 'round');
  path.setAttribute('stroke-linejoin', 'round');
  svg.appendChild(path);
  return svg;
}

const ICONS = {
  IMAGE: 'M4 5h16v14H4z M4 16l5-5 4 4 2-2 5 5 M15 9.5a1.5 1.5 0 1 0 .01 0',
  DOCUMENT: 'M6 3h8l4 4v14H6z M14 3v4h4 M9 12h6 M9 16h6',
  VIDEO: 'M3 6h13v12H3z M16 10l5-3v10l-5-3',
  QUICK_REPLY: 'M9 14L4 9l5-5 M4 9h11a5 5 0 0 1 0 10h-3',
  URL: 'M14 4h6v6 M20 4l-9 9 M18 14v6H4V6h6',
  PHONE_NUMBER: 'M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2',
  COPY_CODE: 'M9 9h11v11H9z M5 15H4V4h11v1',
} as const;

const MARK = /(\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~|```[^`]+```|\{\{[1-9]\d{0,2}\}\})/;
const WRAP: Record<string, [open: string, tag: 'strong' | 'em' | 's' | 'code']> = {
  '*': ['*', 'strong'],
  _: ['_', 'em'],
  '~': ['~', 's'],
  '`': ['```', 'code'],
};

/** A variable: its value marked, or `{{n}}` marked as still empty. */
function variable(n: number, value: string | undefined): HTMLElement {
  const filled = value !== undefined && value !== '';
  return h('span', {
    class: 'wa-var' + (filled ? '' : ' empty'),
    'data-var': n,
    text: filled ? value : `{{${n}}}`,
  });
}

/** WhatsApp's inline formatting and the variables of `text`, as nodes. */
export function formatted(text: string, values: ReadonlyArray<string | undefined>): Node[] {
  const out: Node[] = [];
  let rest = text;
  for (let m = MARK.exec(rest); m; m = MARK.exec(rest)) {
    if (m.index > 0) out.push(document.createTextNode(rest.slice(0, m.index)));
    const token = m[0];
    const n = /^\{\{(\d+)\}\}$/.exec(token)?.[1];
    if (n) out.push(variable(Number(n), values[Number(n) - 1]));
    else {
      const [open, tag] = WRAP[token.charAt(0)] ?? ['', 'strong'];
      out.push(h(tag, {}, formatted(token.slice(open.length, token.length - open.length), values)));
    }
    rest = rest.slice(m.index + token.length);
  }
  if (rest) out.push(document.createTextNode(rest));
  return out;
}

function mediaHeader(p: PreviewInput): HTMLElement | null {
  const kind = p.type as keyof typeof ICONS;
  if (kind !== 'IMAGE' && kind !== 'DOCUMENT' && kind !== 'VIDEO') return null;
  const box = h('div', { class: 'wa-media ' + kind.toLowerCase(), 'data-media': kind });
  if (kind === 'IMAGE' && p.media?.url) {
    box.appendChild(h('img', { src: p.media.url, alt: p.media.name ?? '' }));
    return box;
  }
  box.appendChild(icon(ICONS[kind], 34));
  box.appendChild(h('span', { text: p.media?.name ?? T(`tpl.type.${kind}`) }));
  return box;
}

function buttonLabel(b: TemplateButton): string {
  if (b.type === 'COPY_CODE' || b.type === 'OTP') return ('text' in b && b.text) || T('tpl.btn.copyCode');
  return b.text || T('tpl.btn.untitled');
}

function buttonRow(buttons: readonly TemplateButton[]): HTMLElement | null {
  if (buttons.length === 0) return null;
  return h(
    'div',
    { class: 'wa-btns' },
    buttons.map((b) =>
      h(
        'div',
        { class: 'wa-btn', 'data-button': b.type },
        icon(ICONS[b.type === 'OTP' ? 'COPY_CODE' : b.type], 16),
        h('span', { text: buttonLabel(b) }),
      ),
    ),
  );
}

/** The time in the bubble: now, as the phone would show it. */
function clock(): string {
  return new Date().toLocaleTimeString(boot.lang, { hour: '2-digit', minute: '2-digit' });
}

/** The preview, ready to be put in the page (`aria-label` names it for screen readers). */
export function waPreview(p: PreviewInput): HTMLElement {
  const header = p.type === 'TEXT' && p.header ? p.header : '';
  const bubble = h(
    'div',
    { class: 'wa-bubble' },
    mediaHeader(p),
    header ? h('div', { class: 'wa-head' }, formatted(header, [p.headerValue])) : null,
    p.body.trim()
      ? h('div', { class: 'wa-body' }, formatted(p.body, p.values))
      : h('div', { class: 'wa-body wa-empty', text: T('tpl.preview.empty') }),
    p.footer ? h('div', { class: 'wa-foot', text: p.footer }) : null,
    h('div', { class: 'wa-time', text: clock() }),
  );
  return h(
    'div',
    { class: 'wa', role: 'group', 'aria-label': T('tpl.preview'), 'data-preview': true },
    h('div', { class: 'wa-msg' }, bubble, buttonRow(p.buttons ?? [])),
  );
}
