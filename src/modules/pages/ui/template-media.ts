import { TEMPLATE_MEDIA, type MediaTemplateType } from '../../templates/template-model.js';
import { api } from './api.js';
import { h } from './dom.js';
import { boot, T } from './page.js';

/**
 * A template's header file as the pages take it (issue 11): its type and size are checked in the
 * browser against the same limits the server applies (template-model.ts TEMPLATE_MEDIA: image JPG/PNG
 * ≤ 2 MB, PDF ≤ 2 MB, MP4 ≤ 5 MB) before anything is uploaded; then POST /templates/media.
 */

export interface ChosenMedia {
  mediaId: string;
  name: string;
  /** An image's data: URL for the preview (the pages' CSP allows data: images, not blob:). */
  url?: string | undefined;
}

const isMediaType = (t: string): t is MediaTemplateType => t === 'IMAGE' || t === 'DOCUMENT' || t === 'VIDEO';

/** Megabytes with one decimal, rounded up: a file just over the limit never reads as the limit. */
function megabytes(bytes: number): string {
  const mb = Math.ceil((bytes / (1024 * 1024)) * 10) / 10;
  return mb.toLocaleString(boot.lang, { maximumFractionDigits: 1 });
}

/** What is wrong with `file` as the header of a template of `type`, in words; null when it fits. */
export function fileProblem(file: File, type: string): string | null {
  if (!isMediaType(type)) return null;
  const rule = TEMPLATE_MEDIA[type];
  if (!rule.mimes.includes(file.type)) return T(`tpl.media.wrongType.${type}`);
  if (file.size > rule.maxBytes) {
    return T('tpl.media.tooLarge')
      .replace('{size}', megabytes(file.size))
      .replace('{max}', megabytes(rule.maxBytes));
  }
  return null;
}

/** "JPG o PNG, hasta 2 MB": what a type takes, for the field's hint. */
export function mediaHint(type: string): string {
  if (!isMediaType(type)) return '';
  return T(`tpl.media.hint.${type}`).replace('{max}', megabytes(TEMPLATE_MEDIA[type].maxBytes));
}

export function acceptOf(type: string): string {
  return isMediaType(type) ? TEMPLATE_MEDIA[type].mimes.join(',') : '';
}

function dataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(typeof r.result === 'string' ? r.result : '');
    r.onerror = () => reject(r.error ?? new Error('read'));
    r.readAsDataURL(file);
  });
}

/** Checks, then uploads; rejects with the words to show next to the field. */
export async function uploadHeader(file: File, type: string): Promise<ChosenMedia> {
  const problem = fileProblem(file, type);
  if (problem) throw new Error(problem);
  const [{ mediaId }, url] = await Promise.all([
    api.uploadMedia(file),
    type === 'IMAGE' ? dataUrl(file).catch(() => undefined) : Promise.resolve(undefined),
  ]);
  return { mediaId, name: file.name, url };
}

/**
 * A file field for a header: checks and uploads as soon as a file is chosen; `onChange` gets the
 * upload (or undefined while none is ready) and `say` the words to show (an error, or uploading).
 */
export function mediaInput(
  type: string,
  name: string,
  onChange: (m: ChosenMedia | undefined) => void,
  say: (kind: 'error' | 'busy' | 'clear', text?: string) => void,
): HTMLInputElement {
  const input = h('input', { type: 'file', name, accept: acceptOf(type), class: 'file-input' });
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    const shown = input.parentElement?.querySelector('.file-name');
    if (shown) shown.textContent = file?.name ?? T('tpl.media.none');
    onChange(undefined);
    if (!file) return say('clear');
    say('busy', T('tpl.media.uploading'));
    uploadHeader(file, type).then(
      (m) => {
        say('clear');
        onChange(m);
      },
      (err: unknown) => {
        input.value = '';
        say('error', err instanceof Error ? err.message : String(err));
      },
    );
  });
  return input;
}

/**
 * The file field's visible part, in the page's language (the browser's own button speaks the
 * browser's): a button-like label for the input, which stays focusable, and the chosen file's name.
 * Call after fieldBox gave the input its id.
 */
export function fileControl(input: HTMLInputElement): void {
  const pick = h('label', { for: input.id, class: 'btn small file-pick', text: T('tpl.media.choose') });
  const name = h('span', { class: 'muted file-name', text: T('tpl.media.none') });
  const row = h('div', { class: 'file-row' });
  input.replaceWith(row);
  row.append(input, pick, name);
}
