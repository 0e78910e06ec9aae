import { api } from './api.js';
import { dialog } from './dialog.js';
import { h } from './dom.js';
import { T } from './page.js';
import { lineName, state } from './state.js';
import { waPreview } from './template-preview.js';
import type { TemplateView } from './template-types.js';

/** The Templates tab's dialogs: the open lines a template is offered on, and a template's details. */

/** Ticks the open lines (queues) whose agents are offered the template (seed 001: none, never offered). */
export function linesDialog(t: TemplateView, channelLine: number | null, onDone: () => void): void {
  dialog({
    title: T('tpl.linesTitle').replace('{name}', t.displayName),
    build: (b) => {
      b.appendChild(h('p', { class: 'muted', text: T('tpl.f.linesHint') }));
      const boxes = state.lines.map((l) =>
        h(
          'label',
          { class: 'check' },
          h('input', { type: 'checkbox', name: 'line', value: l.id, checked: t.lineIds.includes(l.id) }),
          ` ${l.name} (#${l.id})`,
          l.id === channelLine ? h('span', { class: 'muted', text: ` · ${T('tpl.servedHere')}` }) : null,
        ),
      );
      b.appendChild(h('fieldset', { class: 'lines' }, h('legend', { text: T('tpl.f.lines') }), ...boxes));
    },
    onOk: async (form) => {
      const ids = Array.from(form.querySelectorAll<HTMLInputElement>('input[name=line]:checked')).map((i) =>
        Number(i.value),
      );
      await api.setTemplateLines(t.id, ids);
      onDone();
    },
  });
}

/** The template as the customer gets it (with its examples), and what it is made of. */
export function viewDialog(t: TemplateView): void {
  const d = dialog({
    title: t.displayName,
    build: (b) => {
      const row = (k: string, v: string) => [h('dt', { text: k }), h('dd', { text: v })];
      b.append(
        waPreview({
          type: t.type,
          header: t.header,
          headerValue: t.headerParam?.example,
          body: t.body,
          values: t.params.map((p) => p.example || undefined),
          footer: t.footer,
          buttons: t.buttons,
        }),
        h(
          'dl',
          { class: 'grid2 summary' },
          row(T('tpl.f.elementName'), t.elementName),
          row(T('tpl.f.language'), t.language),
          row(T('tpl.f.category'), T(`tpl.cat.${t.category}`)),
          row(T('tpl.f.type'), T(`tpl.typeLong.${t.type}`)),
          row(T('tpl.col.lines'), t.lineIds.map((id) => lineName(id)).join(', ') || T('tpl.noLines')),
          row(T('tpl.source'), T(`tpl.source.${t.source}`)),
          t.params.map((p, i) => row(`{{${i + 1}}}`, `${p.name} · ${p.example}`)),
        ),
      );
    },
    onOk: async () => undefined,
    okText: T('common.close'),
    okClass: 'primary',
  });
  d.form.querySelector('.dlg-close')?.remove();
  d.form.querySelector<HTMLElement>('button[type=submit]')?.focus();
}
