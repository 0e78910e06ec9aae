import { api, ApiError } from './api.js';
import { clear, h, notice } from './dom.js';
import { T } from './page.js';
import {
  allIssues,
  bodyOf,
  headerOf,
  isAuth,
  newForm,
  shown,
  showIssues,
  stepOf,
  STEPS,
  toDraft,
  type FormState,
} from './template-draft.js';
import { waPreview } from './template-preview.js';
import {
  confirmStep,
  contentStep,
  namesStep,
  paramsStep,
  setupStep,
  type StepCtx,
} from './template-steps.js';
import type { TemplateView } from './template-types.js';
import type { Line } from './types.js';

/**
 * The request form, step by step (issue 11, seed 001), with the WhatsApp preview beside it. Each step
 * checks its own fields before the next one opens; the submit sends the draft, assigns the chosen
 * open lines, and hands the new template back to the list. The server's refusals go next to their
 * fields, on the step where they are filled in.
 */

export interface FormOptions {
  channelId: string;
  channel: string;
  lines: Line[];
  /** The open line the channel serves, ticked by default. */
  channelLine: number | null;
  /** The new template, and what went wrong assigning its lines, if anything did. */
  onDone: (created?: TemplateView, warning?: string) => void;
}

const BUILDERS = [namesStep, setupStep, contentStep, paramsStep, confirmStep];

interface Parts {
  steps: HTMLOListElement;
  title: HTMLHeadingElement;
  body: HTMLDivElement;
  general: HTMLDivElement;
  preview: HTMLDivElement;
  back: HTMLButtonElement;
  next: HTMLButtonElement;
  status: HTMLDivElement;
}

function preview(s: FormState): HTMLElement {
  return waPreview({
    type: isAuth(s) ? 'TEXT' : s.type,
    header: headerOf(s),
    headerValue: s.headerParam.example || undefined,
    body: bodyOf(s),
    values: s.params.map((p) => p.example || undefined),
    footer: isAuth(s) ? null : s.footer,
    buttons: s.buttons,
    media: s.media,
  });
}

function stepList(s: FormState, go: (n: number) => void): HTMLOListElement {
  return h(
    'ol',
    { class: 'steps' },
    STEPS.map((name, i) =>
      h(
        'li',
        {
          class: i === s.step ? 'on' : i < s.step ? 'done' : '',
          'aria-current': i === s.step ? 'step' : null,
        },
        h('button', {
          type: 'button',
          disabled: i >= s.step,
          text: `${i + 1}. ${T(`tpl.step.${name}`)}`,
          onclick: () => go(i),
        }),
      ),
    ),
  );
}

export function templateForm(o: FormOptions): HTMLElement {
  const s = newForm(o.channelId, o.channelLine ? [o.channelLine] : []);
  const p: Parts = {
    steps: h('ol'),
    title: h('h3', { class: 'step-title', tabindex: -1 }),
    body: h('div', { class: 'step-body' }),
    general: h('div', { class: 'notice error', role: 'alert', hidden: true }),
    preview: h('div', { class: 'preview-slot' }),
    back: h('button', { type: 'button', class: 'btn', id: 'tpl-back', text: T('tpl.back') }),
    next: h('button', { type: 'submit', class: 'btn primary', id: 'tpl-next' }),
    status: h('div'),
  };
  const ctx: StepCtx = { change: () => refresh(s, p), channel: o.channel, lines: o.lines };
  const go = (n: number) => {
    s.step = n;
    render(s, p, ctx, go);
  };
  const cancel = h('button', { type: 'button', class: 'btn', id: 'tpl-cancel', text: T('common.cancel') });
  cancel.onclick = () => o.onDone();
  p.back.onclick = () => go(Math.max(0, s.step - 1));
  const form = h(
    'form',
    { class: 'tpl-form', id: 'template-form', novalidate: true },
    h(
      'div',
      { class: 'tpl-main' },
      p.title,
      p.body,
      p.general,
      p.status,
      h('div', { class: 'actions' }, p.back, p.next, cancel),
    ),
    h('aside', { class: 'tpl-side' }, h('h3', { text: T('tpl.preview') }), p.preview),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (s.step < STEPS.length - 1) advance(s, p, go);
    else void submit(s, p, o, go);
  });
  const wrap = h(
    'section',
    { class: 'tpl-wizard' },
    h('h2', { text: `${T('tpl.request')} · ${o.channel}` }),
    p.steps,
    form,
  );
  render(s, p, ctx, go);
  return wrap;
}

function render(s: FormState, p: Parts, ctx: StepCtx, go: (n: number) => void): void {
  const name = STEPS[s.step] ?? 'confirm';
  const steps = stepList(s, go);
  p.steps.replaceWith(steps);
  p.steps = steps;
  p.title.textContent = T('tpl.stepOf')
    .replace('{n}', String(s.step + 1))
    .replace('{total}', String(STEPS.length))
    .replace('{name}', T(`tpl.step.${name}`));
  clear(p.status);
  clear(p.body).appendChild((BUILDERS[s.step] ?? confirmStep)(s, ctx));
  p.back.hidden = s.step === 0;
  p.next.textContent = s.step === STEPS.length - 1 ? T('tpl.submit') : T('tpl.continue');
  document.body.setAttribute('data-step', name);
  refresh(s, p);
  const first = p.body.querySelector<HTMLElement>(
    'input:not([type=hidden]):not([readonly]),select,textarea:not([readonly])',
  );
  (first ?? p.title).focus();
}

function refresh(s: FormState, p: Parts): void {
  const here = allIssues(s).filter((i) => stepOf(i.field) === s.step);
  showIssues(p.body, shown(s, here), p.general);
  p.general.hidden = !p.general.textContent;
  clear(p.preview).appendChild(preview(s));
}

/** The step's own problems stop it; otherwise the next step opens. */
function advance(s: FormState, p: Parts, go: (n: number) => void): void {
  const here = allIssues(s).filter((i) => stepOf(i.field) === s.step);
  if (here.length === 0) return go(s.step + 1);
  for (const i of here) s.touched.add(i.field);
  refresh(s, p);
  (p.body.querySelector<HTMLElement>('[aria-invalid=true]') ?? p.general).focus();
}

/** Back to the first step with a problem, showing them all there. */
function backTo(s: FormState, p: Parts, go: (n: number) => void): void {
  const issues = allIssues(s);
  for (const i of issues) s.touched.add(i.field);
  const step = Math.min(...issues.map((i) => stepOf(i.field)));
  if (step !== s.step) go(step);
  else refresh(s, p);
  (p.body.querySelector<HTMLElement>('[aria-invalid=true]') ?? p.general).focus();
}

async function submit(s: FormState, p: Parts, o: FormOptions, go: (n: number) => void): Promise<void> {
  if (allIssues(s).length > 0) return backTo(s, p, go);
  p.next.disabled = true;
  clear(p.status).appendChild(h('p', { class: 'muted', text: T('tpl.submitting') }));
  try {
    const created = await api.createTemplate(toDraft(s));
    // Created: whatever happens to the lines, the draft is not sent twice.
    const warning =
      s.lineIds.length > 0
        ? await api.setTemplateLines(created.id, s.lineIds).then(
            () => undefined,
            (err: unknown) => (err instanceof Error ? err.message : String(err)),
          )
        : undefined;
    o.onDone(created, warning);
  } catch (err) {
    p.next.disabled = false;
    clear(p.status);
    if (err instanceof ApiError && err.issues.length > 0) {
      s.server = err.issues;
      return backTo(s, p, go);
    }
    p.status.appendChild(notice('error', err instanceof Error ? err.message : String(err)));
  }
}
