import { api, ApiError } from './api.js';
import { codeText, messageStatusText } from './codes.js';
import { clear, h, notice, select, type Option } from './dom.js';
import { T, view } from './page.js';
import { fieldBox, showIssues } from './template-draft.js';
import { fileControl, mediaHint, mediaInput, type ChosenMedia } from './template-media.js';
import { waPreview } from './template-preview.js';
import type { FieldIssue } from './template-types.js';
import type { CardTemplates, OfferedTemplate, PickerContext, TemplateSent } from './types.js';

/**
 * The template picker (issue 11), for the open-line chat's placements and the CRM card's tab: choose
 * one of the templates the line offers (approved, active, assigned to it), fill its named
 * parameters, attach the header file (type and size checked before the upload), see what the
 * customer gets, send, and see what became of it (sent, or failed and why).
 */

interface Form {
  template: OfferedTemplate | undefined;
  values: string[];
  media: ChosenMedia | undefined;
  /** One key per send attempt: a double click or a retry after a lost answer sends once. */
  key: string;
}

const newKey = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
const FINAL = new Set(['sent', 'delivered', 'read', 'failed', 'dead', 'skipped', 'deleted']);
const FAILED = new Set(['failed', 'dead']);
const POLL_MS = 1_500;
const POLL_TRIES = 40;

/** A text header with a variable takes the first value; the body's {{n}} the ones after it. */
const headerTakes = (t: OfferedTemplate) =>
  t.type === 'TEXT' && /\{\{\s*1\s*\}\}/.test(t.header ?? '') ? 1 : 0;

function preview(f: Form): HTMLElement {
  const t = f.template;
  if (!t) return h('div');
  const skip = headerTakes(t);
  const values = f.values.map((v) => v || undefined);
  return waPreview({
    type: t.type,
    header: t.header,
    headerValue: skip ? values[0] : undefined,
    body: t.body,
    values: values.slice(skip),
    footer: t.footer,
    buttons: Array.isArray(t.buttons) ? (t.buttons as Parameters<typeof waPreview>[0]['buttons']) : [],
    media: f.media,
  });
}

/** The fields of one template: a named input per parameter and the header file. */
function templateFields(f: Form, redraw: () => void): HTMLElement {
  const t = f.template;
  const box = h('div', { class: 'fields' });
  if (!t) return box;
  f.values = t.params.map(() => '');
  f.media = undefined;
  t.params.forEach((p, i) => {
    const input = h('input', {
      type: 'text',
      name: `param-${i + 1}`,
      placeholder: p.example,
      autocomplete: 'off',
    });
    input.addEventListener('input', () => {
      f.values[i] = input.value;
      redraw();
    });
    box.appendChild(fieldBox(p.name, input, `params.${p.name}`));
  });
  if (t.media) {
    let slot: HTMLElement | null = null;
    const file = mediaInput(
      t.type,
      'media',
      (m) => {
        f.media = m;
        redraw();
      },
      (kind, text) => {
        if (!slot) return;
        slot.textContent = kind === 'clear' ? '' : (text ?? '');
        slot.classList.toggle('busy', kind === 'busy');
      },
    );
    const field = fieldBox(T('picker.media'), file, 'mediaId', { hint: mediaHint(t.type) });
    fileControl(file);
    slot = field.querySelector('.issue');
    box.appendChild(field);
  }
  return box;
}

/** What the page checks before sending: every value given, the file uploaded. */
function missing(f: Form): FieldIssue[] {
  const t = f.template;
  if (!t) return [];
  const out: FieldIssue[] = t.params.flatMap((p, i) =>
    (f.values[i] ?? '').trim()
      ? []
      : [{ field: `params.${p.name}`, code: 'param_empty', message: T('picker.fill') }],
  );
  if (t.media && !f.media) {
    out.push({ field: 'mediaId', code: 'media_required', message: T('picker.attach') });
  }
  return out;
}

/** Follows the message until it is sent or failed, and says so. */
async function follow(sent: TemplateSent, out: HTMLElement): Promise<void> {
  const seq = out.getAttribute('data-seq');
  const current = () => out.isConnected && out.getAttribute('data-seq') === seq;
  let status = sent.status;
  for (let i = 0; i < POLL_TRIES && !FINAL.has(status); i++) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (!current()) return;
    try {
      const m = await api.sentMessage(sent.messageId);
      status = m.status;
      if (FAILED.has(status)) {
        const why = m.error?.code ? codeText(m.error.code) : T('picker.noReason');
        clear(out).appendChild(notice('error', T('picker.failed').replace('{reason}', why)));
        out.setAttribute('data-result', 'failed');
        return;
      }
    } catch {
      return;
    }
  }
  if (!FINAL.has(status) || !current()) return;
  clear(out).appendChild(notice('ok', T('picker.done').replace('{status}', messageStatusText(status))));
  out.setAttribute('data-result', 'sent');
}

interface Sender {
  send: (f: Form) => Promise<TemplateSent>;
}

/** The picker's elements and its state. */
interface Picker {
  f: Form;
  form: HTMLFormElement;
  btn: HTMLButtonElement;
  general: HTMLElement;
  result: HTMLElement;
  /** A send was tried: problems are shown, and go away as fields are filled in. */
  attempted: boolean;
}

function show(p: Picker, issues: FieldIssue[], focus = true): void {
  const first = showIssues(p.form, issues, p.general);
  p.general.hidden = !p.general.textContent;
  if (focus && issues.length) (first ?? p.general).focus();
}

/** Checks what the page can, sends, then follows the message; refusals go next to their fields. */
function submit(p: Picker, s: Sender): void {
  p.attempted = true;
  clear(p.result).removeAttribute('data-result');
  p.result.setAttribute('data-seq', p.f.key);
  const problems = missing(p.f);
  if (problems.length) return show(p, problems);
  show(p, []);
  p.btn.disabled = true;
  s.send(p.f).then(
    (sent) => {
      p.btn.disabled = false;
      p.f.key = newKey();
      p.result.appendChild(notice('info', T('picker.sent')));
      p.result.setAttribute('data-result', 'queued');
      void follow(sent, p.result);
    },
    (err: unknown) => {
      p.btn.disabled = false;
      if (err instanceof ApiError && err.issues.length) return show(p, err.issues);
      p.result.appendChild(notice('error', err instanceof Error ? err.message : String(err)));
    },
  );
}

const about = (t: OfferedTemplate | undefined) =>
  t ? `${t.elementName} · ${t.language} · ${T(`tpl.cat.${t.category as 'UTILITY'}`)}` : '';

/** The form: template select, its fields, the preview beside them, send and its result. */
function pickerForm(list: OfferedTemplate[], s: Sender, extra: HTMLElement[] = []): HTMLElement {
  const side = h('div', { class: 'preview-slot' });
  const fields = h('div');
  const info = h('p', { class: 'muted', id: 'template-about' });
  const options = list.map((t): Option => [t.id, `${t.displayName} (${t.language})`]);
  const pick = select('template', options, list[0]?.id);
  const p: Picker = {
    f: { template: list[0], values: [], media: undefined, key: newKey() },
    form: h('form', { id: 'picker-form', novalidate: true }),
    btn: h('button', { type: 'submit', class: 'btn primary', id: 'picker-send', text: T('picker.send') }),
    general: h('div', { class: 'notice error', role: 'alert', hidden: true }),
    result: h('div', { id: 'picker-result', role: 'status' }),
    attempted: false,
  };
  const redraw = () => {
    clear(side).appendChild(preview(p.f));
    if (p.attempted) show(p, missing(p.f), false);
  };
  const choose = (id: string) => {
    p.attempted = false;
    show(p, [], false);
    p.f.template = list.find((t) => t.id === id);
    p.f.key = newKey();
    info.textContent = about(p.f.template);
    clear(fields).appendChild(templateFields(p.f, redraw));
    redraw();
  };
  pick.addEventListener('change', () => choose(pick.value));
  p.form.append(...extra, fieldBox(T('picker.template'), pick, 'templateId'), info, fields, p.general);
  p.form.append(h('div', { class: 'actions' }, p.btn), p.result);
  p.form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(p, s);
  });
  choose(pick.value);
  const aside = h('aside', { class: 'tpl-side' }, h('h3', { text: T('picker.preview') }), side);
  return h('div', { class: 'picker' }, p.form, aside);
}

const body = (f: Form) => ({
  templateId: f.template?.id,
  params: f.values,
  ...(f.media ? { mediaId: f.media.mediaId } : {}),
  clientKey: f.key,
});

async function chatPicker(chatId: number | null): Promise<Node[]> {
  if (chatId === null) return [notice('info', T('picker.notWhatsApp'))];
  const r = await api.chatTemplates(chatId);
  const state = notice(
    r.chat.windowOpen ? 'info' : 'error',
    T(r.chat.windowOpen ? 'picker.windowOpen' : 'picker.windowClosed'),
  );
  state.id = 'window-state';
  if (r.templates.length === 0) return [state, notice('info', T('picker.none'))];
  return [state, pickerForm(r.templates, { send: (f) => api.sendFromChat(chatId, body(f)) })];
}

function cardPicker(ctx: { entityType: string; entityId: number }, r: CardTemplates): Node[] {
  if (r.phones.length === 0) return [notice('info', T('picker.noPhones'))];
  const channels = r.channels.filter((c) => c.templates.length > 0);
  if (channels.length === 0) return [notice('info', T('picker.none'))];
  const phoneOptions = r.phones.map((p): Option => [p.phone, `${p.display} · ${p.owner.name}`]);
  const area = h('div');
  let channelId = channels[0]?.id ?? '';
  let phone = r.phones[0]?.phone ?? '';
  const draw = () => {
    const phoneSel = select('phone', phoneOptions, phone);
    phoneSel.addEventListener('change', () => (phone = phoneSel.value));
    const channelSel = select(
      'channel',
      channels.map((c): Option => [c.id, `${c.name} (+${c.sourceNumber})`]),
      channelId,
    );
    channelSel.addEventListener('change', () => {
      channelId = channelSel.value;
      draw();
      area.querySelector<HTMLElement>('select[name=channel]')?.focus();
    });
    const ch = channels.find((c) => c.id === channelId);
    const extra = [
      fieldBox(T('picker.phone'), phoneSel, 'to'),
      fieldBox(T('picker.channel'), channelSel, 'channelId'),
    ];
    const send = (f: Form) =>
      api.sendFromCard(ctx.entityType, ctx.entityId, { ...body(f), channelId, phone });
    clear(area).appendChild(pickerForm(ch?.templates ?? [], { send }, extra));
  };
  draw();
  return [area];
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
