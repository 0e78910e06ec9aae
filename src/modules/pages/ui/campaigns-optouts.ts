import { campaignsApi } from './campaigns-api.js';
import { C, codeText } from './campaigns-common.js';
import { clear, field, h, headRow } from './dom.js';
import { part, say } from './notifications-common.js';
import { fmtDate } from './page.js';

/**
 * The portal's opt-outs (portal admins, as the API): who gets no campaign, searched by number, a
 * number added by hand (written as the customer gives it; the first channel's country when it has no
 * country code) or taken off.
 */
export function optOutsPart(): HTMLElement {
  const p = part('cmp-optouts', C('optOuts'));
  const search = h('input', { type: 'search', name: 'search', maxlength: 40, placeholder: '549…' });
  const phone = h('input', { type: 'tel', name: 'phone', maxlength: 40, placeholder: '+54 9 11 1234-5678' });
  const add = h('button', { type: 'button', class: 'btn', id: 'cmp-optout-add', text: C('optOutAdd') });
  const table = h('div', { id: 'cmp-optouts-list' });
  const load = async () => {
    try {
      draw(table, await campaignsApi.optOuts(search.value.trim()), load, p.msg);
    } catch (e) {
      say(p.msg, 'error', (e as Error).message);
    }
  };
  search.oninput = () => void load();
  add.onclick = async () => {
    clear(p.msg);
    add.disabled = true;
    try {
      await campaignsApi.addOptOut(phone.value.trim());
      phone.value = '';
      await load();
    } catch (e) {
      say(p.msg, 'error', (e as Error).message);
    } finally {
      add.disabled = false;
    }
  };
  p.body.append(
    h('p', { class: 'muted', text: C('optOutsHelp') }),
    h('div', { class: 'toolbar' }, field(C('phone'), phone), add, field(C('optOutSearch'), search)),
    table,
  );
  void load();
  return p.el;
}

function draw(
  el: HTMLElement,
  r: Awaited<ReturnType<typeof campaignsApi.optOuts>>,
  reload: () => Promise<void>,
  msg: HTMLElement,
): void {
  if (!r.items.length) {
    clear(el).appendChild(h('p', { class: 'muted', text: C('optOutNone') }));
    return;
  }
  const body = h('tbody');
  for (const o of r.items) {
    const remove = h('button', {
      type: 'button',
      class: 'btn',
      'data-remove': o.phone,
      text: C('optOutRemove'),
    });
    remove.onclick = async () => {
      remove.disabled = true;
      try {
        await campaignsApi.removeOptOut(o.phone);
        await reload();
      } catch (e) {
        say(msg, 'error', (e as Error).message);
        remove.disabled = false;
      }
    };
    body.appendChild(
      h(
        'tr',
        { 'data-phone': o.phone },
        h('td', { text: o.phone }),
        h('td', { text: codeText('src', o.source) ?? o.source }),
        h('td', { class: 'muted', text: fmtDate(o.createdAt) }),
        h('td', {}, remove),
      ),
    );
  }
  clear(el).append(
    h('table', { class: 'grid' }, headRow([C('phone'), C('optOutSource'), C('created'), '']), body),
    h('p', { class: 'muted', text: C('optOutTotal', { n: r.total }) }),
  );
}
