import { clear, h, notice } from './dom.js';
import { T } from './page.js';

/** A modal form over the page. */

export interface Dialog {
  form: HTMLFormElement;
  body: HTMLDivElement;
  close: () => void;
}

export interface DialogSpec {
  title: string;
  /** Fills the dialog's body. */
  build: (body: HTMLDivElement) => void;
  /** The OK button: resolves true to keep the dialog open; a rejection is shown in the dialog. */
  onOk: (form: HTMLFormElement, body: HTMLDivElement) => Promise<boolean | void>;
  okText?: string;
  okClass?: string;
}

export function dialog(spec: DialogSpec): Dialog {
  const overlay = h('div', { class: 'overlay' });
  const msg = h('div');
  const body = h('div');
  // Focus goes back where it was when the dialog closes (keyboard users keep their place).
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const close = () => {
    overlay.remove();
    if (opener?.isConnected) opener.focus();
  };
  overlay.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });
  const ok = h('button', {
    type: 'submit',
    class: 'btn ' + (spec.okClass ?? 'success'),
    text: spec.okText ?? T('common.save'),
  });
  const cancel = h('button', {
    type: 'button',
    class: 'btn dlg-close',
    text: T('common.cancel'),
    onclick: close,
  });
  const form = h(
    'form',
    { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': spec.title },
    h('h2', { text: spec.title }),
    msg,
    body,
    h('div', { class: 'actions' }, ok, cancel),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clear(msg);
    ok.disabled = true;
    spec
      .onOk(form, body)
      .then((keep) => {
        if (!keep) close();
      })
      .catch((err: Error) => msg.appendChild(notice('error', err.message)))
      .finally(() => {
        ok.disabled = false;
      });
  });
  spec.build(body);
  overlay.appendChild(form);
  document.body.appendChild(overlay);
  form.querySelector<HTMLElement>('input:not([readonly]),select')?.focus();
  return { form, body, close };
}

/** A question with one button that does `action`. */
export function confirmBox(
  title: string,
  text: string,
  okText: string,
  action: () => Promise<unknown>,
): Dialog {
  return dialog({
    title,
    build: (b) => b.appendChild(h('p', { text })),
    onOk: async () => {
      await action();
    },
    okText,
    okClass: 'primary',
  });
}

/** The named fields of a form: checkboxes as booleans, other fields when not empty. */
export function formData(form: HTMLFormElement): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const el of Array.from(form.elements) as HTMLInputElement[]) {
    if (!el.name) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.value !== '') out[el.name] = el.value;
  }
  return out;
}
