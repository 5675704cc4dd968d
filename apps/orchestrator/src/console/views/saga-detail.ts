// One saga: what it is and where, why (the last error, what it waits for), its step graph and
// history side by side, and the operator actions the viewer's scopes allow.
import { SAGA_STATUS, TERMINAL_SAGA_STATUSES, type SagaDescription } from '@skald/saga';
import type { historyResource, sagaResource } from '../../api/saga-resource';
import { hasScope, type Viewer } from '../console-session';
import { html, path, query, type Html } from '../html';
import { errorText, json, relativeTime, statusBadge, stepLabel } from './format';
import { live } from './layout';
import { SAGA_ACTIONS, sagaActions, type SagaAction } from './saga-actions';
import { stepGraph } from './step-graph';
import { timeline } from './timeline';

type Saga = ReturnType<typeof sagaResource>;
type History = ReturnType<typeof historyResource>;

/** Actions that undo or hold something are drawn as dangerous; the rest as plain buttons. */
const GENTLE: readonly SagaAction[] = ['retry', 'resume', 'pause'];

function actionLinks(saga: Saga, definition: SagaDescription | undefined, viewer: Viewer): Html {
  if (!hasScope(viewer, 'operate'))
    return html`<p class="muted">
      Your key (${viewer.scopes.join('+')}) can read but not act on sagas.
    </p>`;
  const links = sagaActions(saga, definition).map(
    ({ action, step }) =>
      html`<a
        class="button ${GENTLE.includes(action) ? '' : 'danger'}"
        id="action-${action}${step ? `-${step}` : ''}"
        href="${path`/console/sagas/${saga.id}/confirm` + query({ action, step })}"
        >${SAGA_ACTIONS[action].label}${step ? ` of ${step}` : ''}…</a
      >`,
  );
  return links.length > 0
    ? html`<div class="actions" aria-label="actions">${links}</div>`
    : html`<p class="muted">No operator action fits a saga that is ${saga.status}.</p>`;
}

/** Why the saga is where it is, at the top: its last error and what its steps wait for. */
function attention(saga: Saga): Html {
  const waiting = saga.steps.filter((s) => s.waiting);
  const failing = saga.steps.filter((s) =>
    ['failed', 'timed_out', 'compensation_failed'].includes(s.status),
  );
  if (!saga.error && !saga.waitReason && waiting.length === 0 && failing.length === 0)
    return html``;
  return html`<section class="attention" aria-label="why it is here">
    ${saga.error && html`<div><strong>Last error:</strong> ${errorText(saga.error)}</div>`}
    ${
      failing.length > 0 &&
      html`<div>
        <strong>Failing steps:</strong>
        ${failing.map((s, i) => html`${i > 0 && ', '}${s.name} (${stepLabel(s.status)})`)}
      </div>`
    }
    ${saga.waitReason && html`<div><strong>Waits on an operator:</strong> ${saga.waitReason}</div>`}
    ${waiting.map(
      (s) =>
        html`<div>
          <strong>Step ${s.name}</strong> waits for participant ${s.waiting!.participant}:
          ${s.waiting!.reason}
        </div>`,
    )}
  </section>`;
}

export interface SagaPageInput {
  viewer: Viewer;
  saga: Saga;
  history: History;
  definition: SagaDescription | undefined;
  failuresOnly: boolean;
  /** The action just done, to say so above the timeline. */
  done?: SagaAction;
  /** This page's URL, for the live refresh. */
  url: string;
}

export function sagaPage({
  viewer,
  saga,
  history,
  definition,
  failuresOnly,
  done,
  url,
}: SagaPageInput): Html {
  const content = html` <h1>Saga <code>${saga.id}</code> ${statusBadge(saga.status)}</h1>
    ${done && html`<div class="notice" role="status">${SAGA_ACTIONS[done].done}; the timeline shows it.</div>`}
    <dl class="facts">
      <dt>Status</dt>
      <dd data-field="status">${saga.status}</dd>
      <dt>Type</dt>
      <dd>
        <a href="/console/definitions#${`${saga.type}-v${saga.version}`}"
          >${saga.type} v${saga.version}</a
        >
      </dd>
      <dt>Started</dt>
      <dd>${relativeTime(saga.createdAt)}</dd>
      <dt>Updated</dt>
      <dd>${relativeTime(saga.updatedAt)}</dd>
      ${
        saga.endedAt &&
        html`<dt>Ended</dt>
          <dd>${relativeTime(saga.endedAt)}</dd>`
      }
    </dl>
    ${attention(saga)} ${actionLinks(saga, definition, viewer)}
    <div class="columns">
      <section aria-labelledby="steps-title">
        <h2 id="steps-title">Steps</h2>
        ${stepGraph(definition, saga.steps)}
      </section>
      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        ${timeline(saga.id, history, failuresOnly)}
      </section>
    </div>
    <div class="columns">
      <section>
        <h2>Input</h2>
        ${json(saga.input)}
      </section>
      <section>
        <h2>Data</h2>
        ${json(saga.data)}
      </section>
    </div>`;
  // right after an action, watch its effect closely until the saga settles
  const settled =
    saga.status === SAGA_STATUS.paused ||
    (TERMINAL_SAGA_STATUSES as readonly string[]).includes(saga.status);
  return live('saga-live', url, content, done && !settled ? 1 : 5);
}
