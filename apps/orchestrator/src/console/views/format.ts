// Small pieces every console page uses: statuses in words and colour, times relative with the
// absolute time on hover, JSON for people.
import { html, type Html } from '../html';

/** Sagas in these statuses need a look first; the overview lists them before the others. */
export const ATTENTION_FIRST = ['failed', 'compensating', 'paused'];

/** Statuses ordered for people: those needing attention first, then the rest by name. */
export function byAttention(a: string, b: string): number {
  const rank = (s: string) => (ATTENTION_FIRST.includes(s) ? ATTENTION_FIRST.indexOf(s) : 99);
  return rank(a) - rank(b) || a.localeCompare(b);
}

const words = (status: string) => status.replace(/[_-]/g, ' ');

/** A status as a coloured badge that says it in words (colour is never the only sign). */
export const statusBadge = (status: string) =>
  html`<span class="badge status-${status.replace(/[^a-z_-]/g, '')}">${words(status)}</span>`;

/** The colour family of a step, from its status and whether its command waits in the outbox. */
export function stepKind(status: string, waiting: boolean): string {
  if (waiting) return 'waiting';
  switch (status) {
    case 'succeeded':
      return 'done';
    case 'running':
    case 'retrying':
    case 'resolving':
    case 'compensating':
    case 'compensation_retrying':
      return 'running';
    case 'failed':
    case 'timed_out':
    case 'compensation_failed':
      return 'failed';
    case 'compensated':
      return 'compensated';
    case 'skipped':
    case 'cancelled':
    case 'compensation_skipped':
      return 'skipped';
    default:
      return 'pending';
  }
}

export const stepLabel = words;

/** `1 step`, `3 steps`. */
export const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** "3 min ago" (or "in 3 min"), with the ISO time on hover and in `datetime`. */
export function relativeTime(iso: string | undefined, now = Date.now()): Html {
  if (!iso) return html`<span class="muted">–</span>`;
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  const size = Math.abs(seconds);
  const amount =
    size < 60
      ? `${size} s`
      : size < 3600
        ? `${Math.round(size / 60)} min`
        : size < 86_400
          ? `${Math.round(size / 3600)} h`
          : `${Math.round(size / 86_400)} d`;
  const text = size < 5 ? 'just now' : seconds >= 0 ? `${amount} ago` : `in ${amount}`;
  return html`<time datetime="${iso}" title="${iso}">${text}</time>`;
}

/** A JSON value, pretty-printed, or a dash when there is none. */
export const json = (value: unknown) =>
  value === undefined
    ? html`<span class="muted">–</span>`
    : html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;

/** An error as `CODE: message`, with the step when it names one. */
export const errorText = (error: { code?: string; message?: string; step?: string } | undefined) =>
  error
    ? html`<code class="error-code">${error.code ?? 'ERROR'}</code> ${error.message ?? ''}${
          error.step ? html` <span class="muted">(step ${error.step})</span>` : ''
        }`
    : html`<span class="muted">none</span>`;

/**
 * A table of `rows` under `headers`. With `empty`, no rows show as one muted row saying so (the
 * table stays, so a live region keeps its shape).
 */
export function dataTable(headers: readonly string[], rows: readonly Html[], empty?: string): Html {
  const body =
    rows.length === 0 && empty !== undefined
      ? html`<tr>
          <td colspan="${headers.length}" class="muted">${empty}</td>
        </tr>`
      : rows;
  return html`<table>
    <thead>
      <tr>
        ${headers.map((h) => html`<th>${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${body}
    </tbody>
  </table>`;
}
