import { api } from './api.js';
import { clear, notice } from './dom.js';
import { T, view } from './page.js';
import type { ChannelDetails, ChannelHealth, Line, NumberRequest } from './types.js';

/** What the tabs share: the portal's open lines and channels as last loaded. */
export const state = {
  lines: [] as Line[],
  channels: [] as ChannelDetails[],
  requests: [] as NumberRequest[],
  health: {} as Record<string, ChannelHealth>,
};

export async function loadLines(): Promise<void> {
  try {
    state.lines = (await api.lines()).items;
  } catch {
    state.lines = [];
  }
}

export async function loadChannels(): Promise<ChannelDetails[]> {
  state.channels = (await api.channels()).items;
  return state.channels;
}

export function lineName(id: number | null): string {
  const l = state.lines.find((x) => x.id === id);
  return l ? l.name + ' (#' + id + ')' : id ? '#' + id : T('common.none');
}

/** "Name (+number)": how a channel is offered in a list. */
export function channelLabel(c: ChannelDetails): string {
  return c.name + ' (+' + c.sourceNumber + ')';
}

/** A tab that could not load shows why instead. */
export function showError(e: Error): void {
  clear(view).appendChild(notice('error', e.message));
}
