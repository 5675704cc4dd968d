// Bulk actions on the saga list's filter (POST /v1/sagas/bulk): the dry-run count and sample
// before anything changes, then the job's progress (GET /v1/bulk-jobs/:id), refreshed while it runs.
import type { FilterSample, SagaFilter } from '@skald/persistence';
import type { BulkItemDto, BulkJobDto } from '../../api/dto/bulk.dto';
import { BULK_ACTIONS, type BulkAction } from '../../bulk/bulk-actions';
import type { Viewer } from '../console-session';
import { html, path, query, type Html } from '../html';
import { count, dataTable, errorText, relativeTime, statusBadge } from './format';
import { csrfField, live } from './layout';
import { reasonField } from './saga-actions';

/** The filter fields a bulk job takes, in the order the page lists them. */
export const BULK_FILTER_FIELDS = [
  'status',
  'type',
  'createdBefore',
  'createdAfter',
  'errorCode',
  'waitReason',
] as const satisfies readonly (keyof SagaFilter)[];

const WHAT: Record<BulkAction, string> = {
  cancel: 'cancels each (it compensates; one terminal or past its pivot is refused)',
  retry: 'retries each failed one, as its Retry does',
  resume: 'resumes each paused one, as its Resume does',
};

/** Only the filter's fields of a list query or a form (no cursor, no limit, nothing empty). */
export const filterOf = (source: Partial<Record<(typeof BULK_FILTER_FIELDS)[number], unknown>>) =>
  Object.fromEntries(
    BULK_FILTER_FIELDS.flatMap((f) =>
      typeof source[f] === 'string' && source[f] !== '' ? [[f, source[f]]] : [],
    ),
  ) as SagaFilter;

/** `status failed, type book-stay`, or `every saga` for an empty filter. */
export const describeFilter = (filter: SagaFilter) =>
  BULK_FILTER_FIELDS.filter((f) => filter[f] !== undefined)
    .map((f) => `${f} ${filter[f]}`)
    .join(', ') || 'every saga';

/** The saga list's form that opens the dry run of a bulk action on its own filter. */
export function bulkForm(filter: SagaFilter): Html {
  return html`<form
    class="filters bulk"
    method="get"
    action="/console/bulk"
    aria-label="bulk action"
  >
    ${BULK_FILTER_FIELDS.map(
      (f) =>
        filter[f] !== undefined && html`<input type="hidden" name="${f}" value="${filter[f]}" />`,
    )}
    <label
      >Bulk action on this filter<select name="action">
        ${BULK_ACTIONS.map((a) => html`<option value="${a}">${a}</option>`)}
      </select></label
    >
    <button type="submit">Count first…</button>
  </form>`;
}

export interface BulkConfirmInput {
  viewer: Viewer;
  action: BulkAction;
  filter: SagaFilter;
  dryRun: FilterSample;
  maxSagas: number;
}

/** The dry run: how many sagas the filter matches now, the newest of them, and the button. */
export function bulkConfirmPage({ viewer, action, filter, dryRun, maxSagas }: BulkConfirmInput) {
  const listUrl =
    '/console/sagas' + query({ ...filter, createdBefore: undefined, createdAfter: undefined });
  const form =
    dryRun.count === 0
      ? html`<p class="muted">No saga matches this filter now: there is nothing to do.</p>`
      : dryRun.count > maxSagas
        ? html`<div class="problem" role="alert">
            One job acts on at most ${maxSagas} sagas (SKALD_BULK_MAX_SAGAS): narrow the filter.
          </div>`
        : html`<form class="stacked" method="post" action="/console/bulk">
            ${csrfField(viewer)} <input type="hidden" name="action" value="${action}" />
            ${BULK_FILTER_FIELDS.map(
              (f) =>
                filter[f] !== undefined &&
                html`<input type="hidden" name="${f}" value="${filter[f]}" />`,
            )}
            ${reasonField(action === 'cancel' ? 'optional' : 'none')}
            <div class="actions">
              <button type="submit" class="primary">
                Bulk ${action} ${count(dryRun.count, 'saga')}
              </button>
              <a class="button" href="${listUrl}">Back</a>
            </div>
          </form>`;
  return html`<h1>Bulk ${action}: ${describeFilter(filter)}?</h1>
    <p id="dry-run" data-count="${dryRun.count}">
      Dry run: the filter matches <strong>${count(dryRun.count, 'saga')}</strong> now. Bulk
      ${action} ${WHAT[action]}, in the background, each recorded in its timeline with your key's
      name; a saga whose state refuses it is reported, not forced. Sagas that match later are not
      included.
    </p>
    ${
      dryRun.sample.length > 0 &&
      html`<h2>The newest of them</h2>
        <ul>
          ${dryRun.sample.map(
            (s) =>
              html`<li>
                <a href="${path`/console/sagas/${s.id}`}"><code>${s.id}</code></a> ${s.type}
                ${statusBadge(s.status)}
              </li>`,
          )}
        </ul>`
    }
    ${form}`;
}

/** A bulk job's progress, refreshed every 2 s while it runs; the sagas it could not act on. */
export function bulkJobPage(job: BulkJobDto, refused: BulkItemDto[]): Html {
  const done = job.succeeded + job.failed;
  const running = job.status === 'running';
  return live(
    'bulk-job-live',
    path`/console/bulk-jobs/${job.id}`,
    html`<h1>Bulk ${job.action} ${statusBadge(job.status)}</h1>
      <p>
        <progress id="bulk-progress" max="${job.total}" value="${done}"></progress>
        <span data-field="progress">${done} of ${job.total} done</span>:
        <span data-field="succeeded">${job.succeeded} succeeded</span>,
        <span data-field="failed">${job.failed} refused</span>.
      </p>
      <dl class="facts">
        <dt>Status</dt>
        <dd data-field="status">${job.status}</dd>
        <dt>Filter</dt>
        <dd>${describeFilter(job.filter)}</dd>
        <dt>By</dt>
        <dd>${job.actor ?? 'anonymous'}${job.reason ? `: ${job.reason}` : ''}</dd>
        <dt>Started</dt>
        <dd>${relativeTime(job.createdAt)}</dd>
        ${
          job.endedAt &&
          html`<dt>Ended</dt>
            <dd>${relativeTime(job.endedAt)}</dd>`
        }
      </dl>
      ${
        refused.length > 0 &&
        html`<h2>Refused</h2>
          ${dataTable(
            ['Saga', 'Why'],
            refused.map(
              (r) =>
                html`<tr>
                  <td>
                    <a href="${path`/console/sagas/${r.sagaId}`}"><code>${r.sagaId}</code></a>
                  </td>
                  <td>${errorText(r.error)}</td>
                </tr>`,
            ),
          )}`
      }
      <p><a href="/console/sagas">Back to the sagas</a></p>`,
    running ? 2 : 5,
  );
}
