import { T } from './page.js';

/**
 * Small DOM helpers. Everything user-supplied goes into the page as text (`text:` or a string child,
 * both text nodes), never as HTML: there is no innerHTML anywhere in the pages.
 */

type AttrValue = string | number | boolean | null | undefined;
type Handler = (e: Event) => void;
export type Attrs = Record<string, AttrValue | Handler>;
export type Child = Node | string | number | null | undefined | false | Child[];

type Tag = keyof HTMLElementTagNameMap;

export function h<K extends Tag>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'class') el.className = String(v);
    else if (k === 'value') (el as HTMLInputElement).value = String(v);
    else if (k === 'checked' || k === 'disabled' || k === 'selected') setFlag(el, k, !!v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) append(el, c);
  return el;
}

function setFlag(el: HTMLElement, k: 'checked' | 'disabled' | 'selected', on: boolean): void {
  if (k === 'selected') (el as HTMLOptionElement).selected = on;
  else (el as HTMLInputElement)[k] = on;
}

export function append(el: Node, c: Child): void {
  if (c === undefined || c === null || c === false) return;
  if (Array.isArray(c)) c.forEach((x) => append(el, x));
  else if (typeof c === 'string' || typeof c === 'number') el.appendChild(document.createTextNode(String(c)));
  else el.appendChild(c);
}

export function clear<E extends Node>(el: E): E {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export type NoticeKind = 'info' | 'ok' | 'error';

export function notice(kind: NoticeKind, text: string): HTMLDivElement {
  return h('div', { class: 'notice ' + kind, role: kind === 'error' ? 'alert' : 'status', text });
}

/** A labelled form field. */
export function field(label: string, input: Node, wide?: boolean): HTMLLabelElement {
  return h('label', { class: 'f' + (wide ? ' wide' : '') }, label, input);
}

export type Option = [value: string | number, label: string];

export function select(name: string, options: Option[], value: string | number | null | undefined) {
  const s = h('select', { name });
  for (const [v, label] of options) {
    s.appendChild(h('option', { value: String(v), text: label, selected: String(v) === String(value) }));
  }
  return s;
}

/** A header row of a table: one <th> per title. */
export function headRow(titles: string[]): HTMLTableSectionElement {
  return h(
    'thead',
    {},
    h(
      'tr',
      {},
      titles.map((x) => h('th', { text: x })),
    ),
  );
}

/** A read-only value with a Copy button (callback URL, new token). */
export function copyBox(value: string): HTMLDivElement {
  const input = h('input', { type: 'text', readonly: true, value, 'data-copy': true });
  const btn = h('button', { type: 'button', class: 'btn small', text: T('common.copy') });
  const done = () => {
    btn.textContent = T('common.copied');
  };
  const fallback = () => {
    document.execCommand('copy');
    done();
  };
  btn.addEventListener('click', () => {
    input.select();
    if (typeof navigator.clipboard?.writeText === 'function') {
      navigator.clipboard.writeText(value).then(done, fallback);
    } else fallback();
  });
  return h('div', { class: 'copy' }, input, btn);
}
