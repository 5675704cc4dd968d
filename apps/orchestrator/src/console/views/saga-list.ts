// The saga list: filters in the URL (shareable, bookmarkable), newest first, cursor paging.
import { SAGA_STATUS, SAGA_WAIT_REASONS } from '@skald/saga';
import type { sagaResource } from '../../api/saga-resource';
import { html, path, query, type Html } from '../html';
import { dataTable, relativeTime, statusBadge } from './format';
import type { SagaFilter } from '@skald/persistence';
import { bulkForm } from './bulk';
import { live, problem } from './layout';

type Saga = ReturnType<typeof sagaResource>;

/** The list's filters as the URL carries them (`age`: older than, e.g. 15m, 2h, 1d). */
export interface SagaListParams {
  status?: string;
  type?: string;
  age?: string;
  errorCode?: string;
  waitReason?: string;
  cursor?: string;
  limit?: string;
}
export const SAGA_LIST_PARAMS = [
  'status',
  'type',
  'age',
  'errorCode',
  'waitReason',
  'cursor',
  'limit',
] as const;
export const AGE_CHOICES = ['5m', '15m', '1h', '6h', '1d', '7d'];

const select = (
  name: string,
  label: string,
  choices: readonly string[],
  chosen: string | undefined,
) =>
  html`<label
    >${label}<select name="${name}">
      <option value="">any</option>
      ${choices.map(
        (c) => html`<option value="${c}" ${c === chosen ? html`selected` : ''}>${c}</option>`,
      )}
    </select></label
  >`;

function filters(params: SagaListParams, types: readonly string[]): Html {
  // a value the choices lack (a hand-edited URL) stays in the list, so the page shows what it filtered on
  const withChosen = (choices: readonly string[], chosen?: string) =>
    chosen && !choices.includes(chosen) ? [...choices, chosen] : choices;
  return html`<form class="filters" method="get" action="/console/sagas" role="search">
    ${select('status', 'Status', withChosen(Object.values(SAGA_STATUS), params.status), params.status)}
    ${select('type', 'Type', withChosen(types, params.type), params.type)}
    ${select('age', 'Older than', withChosen(AGE_CHOICES, params.age), params.age)}
    <label>Error code<input name="errorCode" value="${params.errorCode ?? ''}" size="16" /></label>
    ${select('waitReason', 'Wait reason', withChosen(SAGA_WAIT_REASONS, params.waitReason), params.waitReason)}
    <button type="submit" class="primary">Filter</button>
    <a href="/console/sagas">Clear</a>
  </form>`;
}

export interface SagaListInput {
  params: SagaListParams;
  types: readonly string[];
  /** Undefined when the filter did not parse; `problems` says why. */
  page?: { items: Saga[]; nextCursor?: string | null };
  problems: string[];
  url: string;
  /** The filter a bulk action would act on, for a viewer who may start one. */
  bulkFilter?: SagaFilter;
}

export function sagaListPage({
  params,
  types,
  page,
  problems,
  url,
  bulkFilter,
}: SagaListInput): Html {
  const rows = (page?.items ?? []).map(
    (s) =>
      html`<tr>
        <td>
          <a href="${path`/console/sagas/${s.id}`}"><code>${s.id}</code></a>
        </td>
        <td>${s.type} v${s.version}</td>
        <td>${statusBadge(s.status)}</td>
        <td>${s.waitReason ?? ''}</td>
        <td>${s.error ? html`<code>${s.error.code}</code>` : ''}</td>
        <td>${relativeTime(s.createdAt)}</td>
        <td>${relativeTime(s.updatedAt)}</td>
      </tr>`,
  );
  const next =
    page?.nextCursor &&
    html`<p class="pager">
      <a href="${'/console/sagas' + query({ ...params, cursor: page.nextCursor })}">Next page →</a>
    </p>`;
  const table = page
    ? html`${dataTable(
        ['Saga', 'Type', 'Status', 'Wait reason', 'Error code', 'Started', 'Updated'],
        rows,
        'No saga matches these filters.',
      )}
      ${next}`
    : html``;
  return html`<h1>Sagas</h1>
    ${filters(params, types)} ${problems.map(problem)} ${bulkFilter && bulkForm(bulkFilter)}
    ${params.cursor && html`<p><a href="${'/console/sagas' + query({ ...params, cursor: undefined })}">← First page</a></p>`}
    ${live('saga-list-live', url, table)}`;
}
