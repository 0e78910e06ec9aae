/**
 * Stripe's request encoding (reference §1.2: form-encoded, nested objects flattened into
 * `line_items[0][price_data][currency]=…`), read back into objects. Array indices become arrays.
 */
export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [k: string]: FormValue;
}

export function parseStripeForm(body: string): FormObject {
  const root: FormObject = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    if (!m) continue;
    const path = [m[1] as string, ...[...(m[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1] as string)];
    let node: FormObject | FormValue[] = root;
    path.forEach((seg, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d*$/.test(path[i + 1] as string);
      const key: string | number = Array.isArray(node) ? (seg === '' ? node.length : Number(seg)) : seg;
      const holder = node as Record<string | number, FormValue>;
      if (last) holder[key] = value;
      else {
        holder[key] ??= nextIsIndex ? [] : {};
        node = holder[key] as FormObject | FormValue[];
      }
    });
  }
  return root;
}

export const str = (v: FormValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
export const obj = (v: FormValue | undefined): FormObject | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
export const arr = (v: FormValue | undefined): FormValue[] | undefined => (Array.isArray(v) ? v : undefined);
