import { api } from './api.js';
import { C } from './campaigns-common.js';
import { h } from './dom.js';

/**
 * Who gets a campaign's replies (the seed's "Members"): the portal's users, searched by name, ticked
 * in a list instead of typed as ids. The ticked ones stay on top across searches; one ticked before
 * and not in the current page shows as "#id" until a search finds it.
 */
export function agentsPicker(selected: number[]): { el: HTMLElement; value: () => number[] } {
  const chosen = new Map<number, string>(selected.map((id) => [id, `#${id}`]));
  const search = h('input', {
    type: 'search',
    name: 'replyUsersSearch',
    placeholder: C('replyUsersSearch'),
    maxlength: 60,
  });
  const list = h('div', { class: 'choices agents', id: 'cmp-agents' });
  const note = h('p', { class: 'muted' });
  let found: Array<{ id: number; name: string }> = [];
  const render = () => {
    const rest = found.filter((u) => !chosen.has(u.id));
    const rows = [...[...chosen].map(([id, name]) => ({ id, name })), ...rest];
    list.replaceChildren(
      ...rows.map((u) => {
        const box = h('input', { type: 'checkbox', 'data-user': u.id, checked: chosen.has(u.id) });
        box.onchange = () => {
          if (box.checked) chosen.set(u.id, u.name);
          else chosen.delete(u.id);
        };
        return h('label', { class: 'choice' }, box, u.name);
      }),
    );
    note.textContent = rows.length ? '' : C('replyUsersNone');
  };
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    try {
      const page = await api.users(0, search.value.trim(), '');
      if (mine !== seq) return;
      found = page.items.map((u) => ({ id: u.id, name: u.name }));
      for (const u of found) if (chosen.has(u.id)) chosen.set(u.id, u.name);
    } catch {
      found = [];
    }
    render();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  search.oninput = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 250);
  };
  void load();
  return { el: h('div', {}, search, list, note), value: () => [...chosen.keys()] };
}
