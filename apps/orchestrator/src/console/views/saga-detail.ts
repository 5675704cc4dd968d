// One saga: what it is and where, why (the last error, what it waits for), its step graph and
// history side by side, and the operator actions the viewer's scopes allow.
import type { SagaDescription } from '@skald/saga';
import type { historyResource, sagaResource } from '../../api/saga-resource';
import { hasScope, type Viewer } from '../console-session';
import { html, path, query, type Html } from '../html';
import { errorText, json, relativeTime, statusBadge, stepLabel } from './format';
import { csrfField, live } from './layout';
import { stepGraph } from './step-graph';
import { timeline } from './timeline';

type Saga = ReturnType<typeof sagaResource>;
type History = ReturnType<typeof historyResource>;

/** The operator actions of a saga, as the console names them in URLs. */
export const SAGA_ACTIONS = {
  cancel: { label: 'Cancel', done: 'Cancel requested' },
  retry: { label: 'Retry', done: 'Retry requested' },
  'skip-compensation': { label: 'Skip compensation', done: 'Compensation skipped' },
  // Pause and resume (issue #19) join here when POST /v1/sagas/:id/pause|resume lands: one entry
  // each, an `available` rule in sagaActions() below and a branch in ConsoleActionsController.act().
} as const;
export type SagaAction = keyof typeof SAGA_ACTIONS;

/** The actions that fit the saga's state now; each still needs `operate`, checked again on POST. */
export function sagaActions(saga: Saga): { action: SagaAction; step?: string }[] {
  const actions: { action: SagaAction; step?: string }[] = [];
  if (saga.status === 'running') actions.push({ action: 'cancel' });
  if (saga.status === 'failed') {
    actions.push({ action: 'retry' });
    for (const step of saga.steps)
      if (step.status === 'compensation_failed')
        actions.push({ action: 'skip-compensation', step: step.name });
  }
  return actions;
}

function actionLinks(saga: Saga, viewer: Viewer): Html {
  if (!hasScope(viewer, 'operate'))
    return html`<p class="muted">
      Your key (${viewer.scopes.join('+')}) can read but not act on sagas.
    </p>`;
  const links = sagaActions(saga).map(
    ({ action, step }) =>
      html`<a
        class="button ${action === 'retry' ? '' : 'danger'}"
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
    ${attention(saga)} ${actionLinks(saga, viewer)}
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
  return live('saga-live', url, content);
}

/** The confirmation step of an action: what it will do, a reason where one is asked, and the button. */
export function confirmPage(
  viewer: Viewer,
  saga: Saga,
  action: SagaAction,
  step: string | undefined,
): Html {
  const target = path`/console/sagas/${saga.id}/${action}`;
  const what: Record<SagaAction, string> = {
    cancel: 'stops forward progress and compensates the steps done so far.',
    retry: 'resumes it from where it stopped (as POST /v1/sagas/:id/retry does).',
    'skip-compensation': `treats the failed compensation of ${step ?? '?'} as done, recorded with your reason.`,
  };
  return html`<h1>${SAGA_ACTIONS[action].label} saga <code>${saga.id}</code>?</h1>
    <p>The saga is ${statusBadge(saga.status)}. ${SAGA_ACTIONS[action].label} ${what[action]}</p>
    <form class="stacked" method="post" action="${target}">
      ${csrfField(viewer)} ${step && html`<input type="hidden" name="step" value="${step}" />`}
      ${
        action === 'skip-compensation' &&
        html`<label
          >Reason (required, recorded in the history)<textarea
            name="reason"
            required
            maxlength="1000"
            rows="3"
          ></textarea>
        </label>`
      }
      ${action === 'cancel' && html`<label>Reason (optional)<textarea name="reason" maxlength="1000" rows="3"></textarea></label>`}
      <div class="actions">
        <button type="submit" class="primary">${SAGA_ACTIONS[action].label}</button>
        <a class="button" href="${path`/console/sagas/${saga.id}`}">Back</a>
      </div>
    </form>`;
}
