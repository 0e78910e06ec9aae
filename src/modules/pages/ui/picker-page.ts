import { api, ApiError } from './api.js';
import { clear, field, h, notice, select, type Option } from './dom.js';
import { T, view } from './page.js';
import type { CardTemplates, OfferedTemplate, PickerContext } from './types.js';

/**
 * A minimal template picker (issue 11), for the open-line chat's placements and the CRM card's tab:
 * choose a template of the line, fill its named parameters, attach the header file, see the text the
 * customer gets, send. The pages helper may replace it; the API it uses is the contract's.
 */

interface Form {
  template: OfferedTemplate | undefined;
  values: string[];
  mediaId: string | undefined;
}

function fill(text: string | null, values: string[]): string {
  return (text ?? '').replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n: string) => values[Number(n) - 1] || whole);
}

function preview(f: Form): string {
  const t = f.template;
  if (!t) return '';
  const header = t.type === 'TEXT' ? fill(t.header, f.values) : '';
  return [header, fill(t.body, f.values), t.footer ?? ''].filter((x) => x.trim()).join('\n');
}

/** The fields of one template: a named input per parameter, the header file, the live preview. */
function templateFields(f: Form, onChange: () => void): HTMLElement {
  const t = f.template;
  const box = h('div', { class: 'fields' });
  if (!t) return box;
  f.values = t.params.map(() => '');
  t.params.forEach((p, i) => {
    const input = h('input', { type: 'text', name: `param-${i + 1}`, placeholder: p.example });
    input.addEventListener('input', () => {
      f.values[i] = input.value;
      onChange();
    });
    box.appendChild(field(p.name, input, true));
  });
  if (t.media) {
    const file = h('input', { type: 'file', name: 'media', accept: t.media.mimes.join(',') });
    file.addEventListener('change', () => {
      const chosen = file.files?.[0];
      f.mediaId = undefined;
      if (!chosen) return;
      void api.uploadMedia(chosen).then(
        (r) => {
          f.mediaId = r.mediaId;
        },
        (err: unknown) => box.appendChild(notice('error', err instanceof Error ? err.message : String(err))),
      );
    });
    box.appendChild(field(T('picker.media'), file, true));
  }
  return box;
}

function templateOptions(list: OfferedTemplate[]): Option[] {
  return list.map((t) => [t.id, `${t.displayName} (${t.language})`]);
}

/** The form: template select, its fields, preview, send; `send` gets the template, values and file. */
function pickerForm(list: OfferedTemplate[], send: (f: Form) => Promise<void>): HTMLElement {
  const f: Form = { template: list[0], values: [], mediaId: undefined };
  const out = h('pre', { class: 'preview', 'data-preview': true });
  const status = h('div');
  const fields = h('div');
  const redraw = () => {
    out.textContent = preview(f);
  };
  const choose = (id: string) => {
    f.template = list.find((t) => t.id === id);
    f.mediaId = undefined;
    clear(fields).appendChild(templateFields(f, redraw));
    redraw();
  };
  const pick = select('template', templateOptions(list), f.template?.id);
  pick.addEventListener('change', () => choose(pick.value));
  const btn = h('button', { type: 'button', class: 'btn primary', text: T('picker.send') });
  btn.addEventListener('click', () => {
    btn.disabled = true;
    clear(status);
    send(f).then(
      () => status.appendChild(notice('ok', T('picker.sent'))),
      (err: unknown) => {
        btn.disabled = false;
        status.appendChild(notice('error', err instanceof ApiError ? err.message : String(err)));
      },
    );
  });
  choose(pick.value);
  return h(
    'div',
    {},
    field(T('picker.template'), pick),
    fields,
    h('h2', { text: T('picker.preview') }),
    out,
    btn,
    status,
  );
}

const body = (f: Form) => ({
  templateId: f.template?.id,
  params: f.values,
  ...(f.mediaId ? { mediaId: f.mediaId } : {}),
  clientKey: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
});

async function chatPicker(chatId: number | null): Promise<Node[]> {
  if (chatId === null) return [notice('info', T('picker.notWhatsApp'))];
  const r = await api.chatTemplates(chatId);
  const state = notice(
    r.chat.windowOpen ? 'info' : 'error',
    T(r.chat.windowOpen ? 'picker.windowOpen' : 'picker.windowClosed'),
  );
  if (r.templates.length === 0) return [state, notice('info', T('picker.none'))];
  return [state, pickerForm(r.templates, async (f) => void (await api.sendFromChat(chatId, body(f))))];
}

function cardPicker(ctx: { entityType: string; entityId: number }, r: CardTemplates): Node[] {
  if (r.phones.length === 0) return [notice('info', T('picker.noPhones'))];
  const phone = select(
    'phone',
    r.phones.map((p) => [p.phone, `${p.display} · ${p.owner.name}`]),
    r.phones[0]?.phone,
  );
  const channels = r.channels.filter((c) => c.templates.length > 0);
  if (channels.length === 0) return [notice('info', T('picker.none'))];
  const channel = select(
    'channel',
    channels.map((c) => [c.id, `${c.name} (+${c.sourceNumber})`]),
    channels[0]?.id,
  );
  const area = h('div');
  const draw = () => {
    const ch = channels.find((c) => c.id === channel.value);
    clear(area).appendChild(
      pickerForm(ch?.templates ?? [], async (f) => {
        await api.sendFromCard(ctx.entityType, ctx.entityId, {
          ...body(f),
          channelId: channel.value,
          phone: phone.value,
        });
      }),
    );
  };
  channel.addEventListener('change', draw);
  draw();
  return [field(T('picker.phone'), phone), field(T('picker.channel'), channel), area];
}

export async function pickerPage(ctx: PickerContext): Promise<void> {
  const title = h('h1', { text: T('picker.title') });
  try {
    const parts =
      ctx.kind === 'chat'
        ? await chatPicker(ctx.chatId)
        : cardPicker(ctx, await api.cardTemplates(ctx.entityType, ctx.entityId));
    clear(view).append(title, ...parts);
  } catch (err) {
    clear(view).append(title, notice('error', err instanceof Error ? err.message : String(err)));
  }
}
