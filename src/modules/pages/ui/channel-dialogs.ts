import { api } from './api.js';
import { confirmBox, dialog, formData } from './dialog.js';
import { clear, copyBox, field, h, notice, select, type Option } from './dom.js';
import { boot, T } from './page.js';
import { state } from './state.js';
import type { Channel, ChannelDetails } from './types.js';

/** The dialogs that change channels: connect, request a number, edit, activate on a line, deactivate. */

type Done = () => void;

const text = (name: string, attrs: Record<string, string | number | boolean | null> = {}) =>
  h('input', { type: 'text', name, ...attrs });

export function connectDialog(onDone?: Done, lineId?: number): void {
  dialog({
    title: T('ch.connect'),
    build: (b) => {
      b.appendChild(h('p', { class: 'muted', text: T('ch.verifyNote') }));
      const lines: Option[] = [['', T('common.none')], ...state.lines.map((l): Option => [l.id, l.name])];
      b.appendChild(
        h(
          'div',
          { class: 'fields' },
          field(T('ch.name'), text('name', { required: true, maxlength: 100 })),
          field(T('ch.company'), text('companyName', { value: boot.defaults.companyName, maxlength: 100 })),
          field(T('ch.appName'), text('gupshupAppName', { required: true, maxlength: 64 })),
          field(T('ch.appId'), text('gupshupAppId', { required: true, maxlength: 64 })),
          field(T('ch.sourceNumber'), text('sourceNumber', { required: true, placeholder: '5491100000000' })),
          field(
            T('ch.apiKey'),
            h('input', { type: 'password', name: 'apiKey', required: true, autocomplete: 'off' }),
          ),
          field(T('ch.waba'), text('wabaId')),
          field(T('ch.line'), select('lineId', lines, lineId ?? '')),
        ),
      );
    },
    onOk: async (form, body) => {
      const ch = await api.connect(formData(form));
      showCallback(form, body, ch);
      onDone?.();
      return true;
    },
  });
}

/** After connecting: the callback URL to paste into Gupshup, and only a Close button. */
function showCallback(form: HTMLFormElement, body: HTMLDivElement, ch: Channel): void {
  clear(body);
  body.appendChild(notice('ok', T('ch.created')));
  body.appendChild(h('p', { text: T('ch.callbackHelp') }));
  body.appendChild(field(T('ch.callback'), copyBox(ch.callbackUrl ?? '')));
  form.querySelector('button[type=submit]')?.remove();
  const close = form.querySelector('.dlg-close');
  if (close) close.textContent = T('common.close');
}

export function requestDialog(onDone?: Done): void {
  dialog({
    title: T('ch.request'),
    build: (b) => {
      b.appendChild(h('p', { class: 'muted', text: T('ch.requestNote') }));
      const company = text('companyName', {
        required: true,
        value: boot.defaults.companyName,
        maxlength: 100,
      });
      b.appendChild(
        h(
          'div',
          { class: 'fields' },
          field(T('ch.company'), company, true),
          field(
            T('ch.contact'),
            text('contactName', { required: true, value: boot.defaults.contactName, maxlength: 100 }),
          ),
          field(T('ch.email'), h('input', { type: 'email', name: 'contactEmail' })),
          field(T('ch.phone'), text('contactPhone')),
        ),
      );
    },
    onOk: async (form) => {
      await api.requestNumber(formData(form));
      onDone?.();
    },
    okText: T('ch.request'),
  });
}

export function editDialog(ch: ChannelDetails, onDone: Done): void {
  dialog({
    title: T('ch.editTitle'),
    build: (b) => {
      const company = h('input', {
        type: 'text',
        value: ch.companyName || T('common.none'),
        readonly: true,
        disabled: true,
      });
      const apiKey = h('input', {
        type: 'password',
        name: 'apiKey',
        placeholder: T('ch.apiKeyKeep'),
        autocomplete: 'off',
      });
      b.appendChild(
        h(
          'div',
          { class: 'fields' },
          field(T('ch.company'), company, true),
          field(T('ch.name'), text('name', { value: ch.name, required: true })),
          field(T('ch.appName'), text('gupshupAppName', { value: ch.gupshupAppName, required: true })),
          field(T('ch.appId'), text('gupshupAppId', { value: ch.gupshupAppId || '' })),
          field(T('ch.sourceNumber'), text('sourceNumber', { value: ch.sourceNumber, required: true })),
          field(T('ch.apiKey'), apiKey),
          field(T('ch.waba'), text('wabaId', { value: ch.wabaId || '' })),
          field(T('ch.callback'), copyBox(ch.callbackUrl ?? ''), true),
        ),
      );
    },
    onOk: async (form) => {
      const d = formData(form);
      // An unchanged App ID is not sent: sending it makes the server check the key with Gupshup again.
      if (ch.gupshupAppId && d.gupshupAppId === ch.gupshupAppId) delete d.gupshupAppId;
      if (!d.wabaId) d.wabaId = '';
      await api.update(ch.id, d);
      onDone();
    },
  });
}

/** Activate a channel on an open line: the one given, or one the admin picks among the free ones. */
export function activateDialog(ch: ChannelDetails, onDone: Done, fixedLine?: number): void {
  const used = new Set(state.channels.filter((c) => c.lineId && c.id !== ch.id).map((c) => c.lineId));
  dialog({
    title: T('ch.activateTitle'),
    build: (b) => {
      b.appendChild(h('p', { text: T('ch.activateText') }));
      if (fixedLine) return;
      const free = state.lines.filter((l) => !used.has(l.id));
      const options = free.map((l): Option => [l.id, l.name + ' (#' + l.id + ')']);
      b.appendChild(field(T('ch.pickLine'), select('lineId', options, ch.lineId || free[0]?.id)));
    },
    onOk: async (form) => {
      const line = fixedLine || Number(formData(form).lineId);
      await api.activate(ch.id, line);
      onDone();
    },
    okText: T('common.confirm'),
  });
}

export function deactivateDialog(ch: ChannelDetails, onDone: Done): void {
  confirmBox(T('ch.deactivateTitle'), T('ch.deactivateText'), T('common.confirm'), async () => {
    await api.deactivate(ch.id);
    onDone();
  });
}
