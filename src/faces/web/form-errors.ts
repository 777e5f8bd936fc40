/**
 * A refused form, said beside its fields: core's refusals (validation, conflict, a limit) become
 * messages keyed by field, and the page is rendered again with what was typed, never a bare error page.
 */
import { CommonErrors, GatehouseError } from '../../core/errors.js';
import { type Html, html } from './html.js';

export type FieldErrors = Record<string, string[]>;

/** The errors of a refusal core explains (anything but a failure of the server), keyed by field; null for anything else. */
export function fieldErrors(err: unknown, fallbackField = 'form', only?: string[]): FieldErrors | null {
  if (!(err instanceof GatehouseError) || err.code === CommonErrors.internal || err.code === CommonErrors.unavailable) return null;
  if (only && !only.includes(err.code)) return null;
  const listed = err.details?.errors as FieldErrors | undefined;
  if (listed) return listed;
  const field = err.field?.replace(/^body\./, '') ?? fallbackField;
  // Core's messages begin with the field's name ("name: is required"); beside the field, the name is said already.
  const text = err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
  return { [field]: [text.charAt(0).toUpperCase() + text.slice(1)] };
}

/** The message under one field (id error-<field>, for people and tests). */
export const problem = (errors: FieldErrors | null | undefined, field: string): Html =>
  errors?.[field] ? html`<p class="field-error" id="error-${field}">${errors[field]!.join(' ')}</p>` : html``;

/** Errors of fields the form does not show, so that nothing refused goes unsaid. */
export const otherProblems = (errors: FieldErrors | null | undefined, shown: string[]): Html =>
  errors ? html`${Object.entries(errors).filter(([f]) => !shown.includes(f)).map(([f, m]) => html`<p class="field-error" id="error-${f}">${m.join(' ')}</p>`)}` : html``;

/** The notice above a refused form: what did not happen, then every reason (also said beside each field). */
export const refusedNotice = (what: string, errors: FieldErrors): { kind: 'error'; text: string } => ({
  kind: 'error',
  text: `${what}: ${Object.values(errors).flat().join(' ')}`,
});

const DAY_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A day typed into a filter of the address (YYYY-MM-DD) as its UTC midnight; a wrong one is said in
 * `problems` and left out, so the page's other filters still apply.
 */
export function filterDay(value: string | undefined, label: string, problems: string[]): number | undefined {
  if (!value) return undefined;
  const t = DAY_SHAPE.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  if (Number.isNaN(t)) problems.push(`“${value}” is not a day for “${label}” (YYYY-MM-DD).`);
  return Number.isNaN(t) ? undefined : t;
}
