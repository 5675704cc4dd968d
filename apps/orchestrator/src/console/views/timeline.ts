// The saga's history, oldest first, with a "failures only" view.
import type { historyResource } from '../../api/saga-resource';
import { html, path, type Html } from '../html';
import { relativeTime } from './format';

type Entry = ReturnType<typeof historyResource>[number];

const FAILURE_TYPES = new Set([
  'step-failed',
  'step-timed-out',
  'compensation-failed',
  'deadline-passed',
  'retry-scheduled',
]);

/** An entry that records something going wrong: a failed or timed-out attempt, a failed reply. */
export function isFailure(entry: Entry): boolean {
  if (FAILURE_TYPES.has(entry.type)) return true;
  const details = entry.details ?? {};
  return details.outcome === 'failure' || details.outcome === 'error' || 'error' in details;
}

export function timeline(sagaId: string, entries: Entry[], failuresOnly: boolean): Html {
  const shown = failuresOnly ? entries.filter(isFailure) : entries;
  const base = path`/console/sagas/${sagaId}`;
  const toggle = failuresOnly
    ? html`<a href="${base}#timeline">Show all entries</a>`
    : html`<a href="${base}?failures=1#timeline">Failures only</a>`;
  const items = shown.map(
    (e) =>
      html`<li class="${isFailure(e) ? 'failure' : ''}" data-type="${e.type}">
        <span class="muted">#${e.seq}</span> ${relativeTime(e.at)}
        <span class="type">${e.type}</span>${
          e.step ? html` <span>step <strong>${e.step}</strong></span>` : ''
        }${e.details && Object.keys(e.details).length > 0 ? html` <code>${JSON.stringify(e.details)}</code>` : ''}
      </li>`,
  );
  return html`<p>
      ${failuresOnly ? `Failures only: ${shown.length} of ${entries.length} entries. ` : ''}${toggle}
    </p>
    <ol class="timeline">
      ${items.length > 0 ? items : html`<li class="muted">No entries.</li>`}
    </ol>`;
}
