// Forms that speak the API's language: a refusal's path (a JSON pointer such as
// "/aws/route_tables/0") picks the field, and the API's own message is shown next to it.
import { ApiError } from './api.js';
import { h } from './dom.js';

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

export function field(label: string, control: Control, hint?: string): HTMLElement {
  const id = control.id;
  const described = [hint === undefined ? null : `${id}-hint`, `${id}-error`].filter((x) => x !== null);
  control.setAttribute('aria-describedby', described.join(' '));
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint === undefined ? null : h('p', { id: `${id}-hint`, class: 'hint muted' }, hint),
    h('p', { id: `${id}-error`, class: 'field-error', role: 'alert' }),
  );
}

export function clearErrors(form: HTMLElement): void {
  for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

/**
 * Puts the API's message beside the field its path names (the longest matching prefix), or in the
 * form's own error line when no field matches. Returns the id of the control it marked.
 */
export function showError(form: HTMLElement, err: unknown, fields: Record<string, string>): string | null {
  clearErrors(form);
  const message = err instanceof Error ? err.message : String(err);
  const path = err instanceof ApiError ? (err.path ?? '') : '';
  const match = Object.keys(fields)
    .filter((prefix) => path === prefix || path.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length)[0];
  const id = match === undefined ? null : fields[match]!;
  const target = id === null ? null : form.querySelector<HTMLElement>(`#${id}-error`);
  if (id !== null && target !== null) {
    target.textContent = message;
    const control = form.querySelector<HTMLElement>(`#${id}`);
    control?.setAttribute('aria-invalid', 'true');
    control?.focus();
    return id;
  }
  const general = form.querySelector<HTMLElement>('.form-error');
  if (general) general.textContent = message;
  return null;
}

export function lines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
