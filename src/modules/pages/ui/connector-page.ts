import { api } from './api.js';
import { activateDialog, connectDialog, deactivateDialog } from './channel-dialogs.js';
import { clear, field, h, notice, select, type Child, type Option } from './dom.js';
import { boot, T, view } from './page.js';
import { channelLabel, lineName, loadLines, showError, state } from './state.js';
import type { ChannelDetails, Items, LineStatus } from './types.js';

/**
 * The connector's tile in the Contact Center (SETTING_CONNECTOR placement, reference §4.7): which
 * channel serves this open line, and Bitrix24's own view of the line; an admin switches it here.
 */

/** Bitrix24's view of the line, or why it could not be read. */
type Status = LineStatus | Error;

export async function connectorPage(): Promise<void> {
  const line = boot.connector?.line ?? 0;
  clear(view).appendChild(h('h1', { text: T('conn.title') }));
  const body = h('div');
  view.appendChild(body);
  let channels: Items<ChannelDetails>;
  let st: Status;
  try {
    [, channels, st] = await Promise.all([
      loadLines(),
      api.channels(),
      api.lineStatus(line).catch((e: Error): Status => e),
    ]);
  } catch (e) {
    showError(e as Error);
    return;
  }
  state.channels = channels.items;
  const serving = state.channels.find((c) => c.lineId === line);
  body.appendChild(stateGrid(line, st, serving));
  if (!boot.admin) {
    body.appendChild(notice('info', T('common.adminOnly')));
    return;
  }
  body.appendChild(actions(line, serving));
}

function stateGrid(line: number, st: Status, serving: ChannelDetails | undefined): HTMLElement {
  const grid = h('dl', { class: 'grid2', id: 'connector-state' });
  const add = (k: string, v: Child) => {
    grid.appendChild(h('dt', { text: k }));
    grid.appendChild(h('dd', {}, v));
  };
  add(T('conn.line'), lineName(line));
  add(
    T('conn.bitrixState'),
    st instanceof Error
      ? h('span', { class: 'err', text: st.message })
      : h('span', {
          class: 'badge ' + (st.status ? 'active' : 'inactive'),
          id: 'bitrix-state',
          text: st.status ? T('conn.on') : T('conn.off'),
        }),
  );
  const servedBy = serving
    ? h(
        'span',
        {},
        channelLabel(serving) + ' ',
        h('span', { class: 'badge ' + serving.status, text: T(`status.${serving.status}`) }),
      )
    : h('span', { class: 'muted', text: T('conn.none') });
  add(T('conn.served'), servedBy);
  return grid;
}

function actions(line: number, serving: ChannelDetails | undefined): HTMLDivElement {
  const reload = () => void connectorPage();
  const bar = h('div', { class: 'toolbar', style: 'margin-top:16px' });
  if (serving && (serving.status === 'active' || serving.status === 'interrupted')) {
    bar.appendChild(
      h('button', {
        type: 'button',
        class: 'btn',
        id: 'conn-deactivate',
        text: T('conn.deactivate'),
        onclick: () => deactivateDialog(serving, reload),
      }),
    );
    return bar;
  }
  const candidates = state.channels.filter((c) => !c.lineId || c.lineId === line);
  if (candidates.length) {
    const options = candidates.map((c): Option => [c.id, channelLabel(c)]);
    const sel = select('channel', options, serving ? serving.id : '');
    const activate = h('button', {
      type: 'button',
      class: 'btn success',
      id: 'conn-activate',
      text: T('conn.activate'),
    });
    activate.onclick = () => {
      const ch = state.channels.find((c) => c.id === sel.value);
      if (ch) activateDialog(ch, reload, line);
    };
    bar.append(field(T('conn.pick'), sel), activate);
  }
  bar.appendChild(h('div', { class: 'grow' }));
  const connect = () => connectDialog(reload, line);
  bar.appendChild(
    h('button', { type: 'button', class: 'btn primary', text: T('ch.connect'), onclick: connect }),
  );
  return bar;
}
