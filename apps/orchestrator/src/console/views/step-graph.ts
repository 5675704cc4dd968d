// The definition's step graph: stages top to bottom, a parallel group's members side by side,
// pivot, conditional and compensation marked; with a saga, each step coloured and labelled by
// its state, with its attempts and what it waits for.
import type { SagaDescription } from '@skald/saga';
import type { sagaResource } from '../../api/saga-resource';
import { html, type Html } from '../html';
import { count, errorText, stepKind, stepLabel } from './format';

type StepState = ReturnType<typeof sagaResource>['steps'][number];
type StepShape = SagaDescription['stages'][number]['steps'][number];

function stepNode(name: string, shape: StepShape | undefined, state: StepState | undefined): Html {
  const kind = state ? stepKind(state.status, state.waiting !== undefined) : 'pending';
  const label = state
    ? state.waiting
      ? `waiting (${stepLabel(state.status)})`
      : stepLabel(state.status)
    : '';
  const tags = shape
    ? [
        shape.pivot &&
          html`<span class="tag" title="after the pivot: retried, never compensated">pivot</span>`,
        shape.conditional &&
          html`<span class="tag" title="runs only when its condition holds">conditional</span>`,
        !shape.compensatable && !shape.pivot && html`<span class="tag">no compensation</span>`,
      ]
    : [];
  const attempts =
    state &&
    html`<div class="meta">
      attempts
      ${state.attempts}${shape ? ` of ${shape.retry.maxAttempts}` : ''}${
        state.compensationAttempts > 0
          ? `, compensation attempts ${state.compensationAttempts}`
          : ''
      }
    </div>`;
  const limits =
    !state && shape
      ? html`<div class="meta">
          up to ${count(shape.retry.maxAttempts, 'attempt')}, timeout ${shape.timeoutMs} ms
        </div>`
      : '';
  return html`<div class="step step-${kind}" data-step="${name}" data-state="${kind}">
    <div><span class="name">${name}</span>${tags}</div>
    ${state && html`<div class="state">${label}</div>`} ${attempts}${limits}
    ${state?.waiting && html`<div class="meta">waits for participant <strong>${state.waiting.participant}</strong>: ${state.waiting.reason}</div>`}
    ${state?.error && html`<div class="meta">${errorText(state.error)}</div>`}
    ${state?.skipReason && html`<div class="meta">skipped: ${state.skipReason}</div>`}
  </div>`;
}

/** The graph of `definition`, with the state of each step of `steps` when given. */
export function stepGraph(
  definition: SagaDescription | undefined,
  steps?: readonly StepState[],
): Html {
  const stateOf = new Map((steps ?? []).map((s) => [s.name, s]));
  const arrow = html`<div class="arrow" aria-hidden="true">↓</div>`;
  if (!definition) {
    // no longer registered: the steps the saga recorded, in the order they started
    return html`<p class="muted">
        The definition of this version is not registered; steps as recorded:
      </p>
      <div class="graph">
        ${(steps ?? []).map((s, i) => html`${i > 0 && arrow}${stepNode(s.name, undefined, s)}`)}
      </div>`;
  }
  const stages = definition.stages.map((stage, i) => {
    const nodes = stage.steps.map((shape) =>
      stepNode(shape.name, shape, steps && stateOf.get(shape.name)),
    );
    const body =
      stage.kind === 'parallel'
        ? html`<div class="stage-parallel" role="group" aria-label="parallel group ${stage.name}">
            <div class="meta muted">parallel group <strong>${stage.name}</strong></div>
            <div class="members">${nodes}</div>
          </div>`
        : nodes;
    return html`${i > 0 && arrow}${body}`;
  });
  return html`<div class="graph">${stages}</div>`;
}
