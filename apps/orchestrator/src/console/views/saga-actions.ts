// The operator actions on one saga: which fit its state now, and the confirmation page each opens.
// Each runs the engine action of its REST route (ConsoleActionsController.act).
import type { SagaDescription } from '@skald/saga';
import type { sagaResource } from '../../api/saga-resource';
import type { Viewer } from '../console-session';
import { html, path, type Html } from '../html';
import { statusBadge } from './format';
import { csrfField } from './layout';

type Saga = ReturnType<typeof sagaResource>;

/**
 * The operator actions of a saga, as the console names them in URLs. `reason` is whether the
 * confirmation asks for one (`required` where the REST route requires it).
 */
export const SAGA_ACTIONS = {
  cancel: { label: 'Cancel', done: 'Cancel requested', reason: 'optional' },
  retry: { label: 'Retry', done: 'Retry requested', reason: 'none' },
  'skip-compensation': {
    label: 'Skip compensation',
    done: 'Compensation skipped',
    reason: 'required',
  },
  pause: { label: 'Pause', done: 'Paused', reason: 'required' },
  resume: { label: 'Resume', done: 'Resumed', reason: 'none' },
  'skip-step': {
    label: 'Skip paused step',
    done: 'Step skipped and saga resumed',
    reason: 'required',
  },
} as const;
export type SagaAction = keyof typeof SAGA_ACTIONS;
export interface SagaActionChoice {
  action: SagaAction;
  step?: string;
}

/** Whether the definition lets an operator skip `step` once it is paused. */
const skippable = (definition: SagaDescription | undefined, step: string) =>
  definition?.stages.some((stage) => stage.steps.some((s) => s.name === step && s.skippable)) ??
  false;

/**
 * The actions that fit the saga's state now, by the rules of their REST routes (a move they
 * refuse answers 409 there and a 409 page here); each still needs `operate`, checked on POST.
 */
export function sagaActions(
  saga: Saga,
  definition: SagaDescription | undefined,
): SagaActionChoice[] {
  const actions: SagaActionChoice[] = [];
  if (saga.status === 'running') actions.push({ action: 'pause' }, { action: 'cancel' });
  if (saga.status === 'paused') {
    actions.push({ action: 'resume' });
    for (const step of saga.steps)
      if (step.status === 'paused' && skippable(definition, step.name))
        actions.push({ action: 'skip-step', step: step.name });
    actions.push({ action: 'cancel' });
  }
  if (saga.status === 'failed') {
    actions.push({ action: 'retry' });
    for (const step of saga.steps)
      if (step.status === 'compensation_failed')
        actions.push({ action: 'skip-compensation', step: step.name });
  }
  return actions;
}

/** What confirming does, in words. */
function consequence(action: SagaAction, step: string | undefined): string {
  switch (action) {
    case 'cancel':
      return 'stops forward progress and compensates the steps done so far.';
    case 'retry':
      return 'resumes it from where it stopped (as POST /v1/sagas/:id/retry does).';
    case 'skip-compensation':
      return `treats the failed compensation of ${step ?? '?'} as done, recorded with your reason.`;
    case 'pause':
      return 'holds it where it is: replies to commands already out still apply, but it does not move on until resumed.';
    case 'resume':
      return 'lets it move on: its paused steps run again from attempt 1.';
    case 'skip-step':
      return `marks the paused step ${step ?? '?'} skipped (never run again, never compensated) with your reason, and resumes the saga.`;
  }
}

/** A reason field as the action asks for it, or nothing. */
export function reasonField(kind: 'none' | 'optional' | 'required'): Html {
  if (kind === 'none') return html``;
  return html`<label
    >${kind === 'required' ? 'Reason (required, recorded in the history)' : 'Reason (optional)'}
    <textarea
      name="reason"
      ${kind === 'required' ? html`required` : ''}
      maxlength="1000"
      rows="3"
    ></textarea>
  </label>`;
}

/** The confirmation step of an action: what it will do, a reason where one is asked, and the button. */
export function confirmPage(
  viewer: Viewer,
  saga: Saga,
  action: SagaAction,
  step: string | undefined,
): Html {
  const { label, reason } = SAGA_ACTIONS[action];
  return html`<h1>${label} saga <code>${saga.id}</code>${step ? `, step ${step}` : ''}?</h1>
    <p>The saga is ${statusBadge(saga.status)}. ${label} ${consequence(action, step)}</p>
    <form class="stacked" method="post" action="${path`/console/sagas/${saga.id}/${action}`}">
      ${csrfField(viewer)} ${step && html`<input type="hidden" name="step" value="${step}" />`}
      ${reasonField(reason)}
      <div class="actions">
        <button type="submit" class="primary">${label}</button>
        <a class="button" href="${path`/console/sagas/${saga.id}`}">Back</a>
      </div>
    </form>`;
}
