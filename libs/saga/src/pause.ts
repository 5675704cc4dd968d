// A paused saga: held where it is until an operator acts. It pauses when a step with
// `onExhausted: 'pause'` runs out of forward retries, or when an operator pauses it. While paused,
// replies to commands already out still apply to their steps, but the saga does not move on: a
// step that succeeds, or fails for good, waits for the resume. Its timers are held (decide()
// ignores them; the engine keeps them until the resume). An operator then resumes it (the paused
// steps run again from attempt 1), cancels it (it compensates) or skips a `skippable` paused step.
import type { CompiledStep } from './define-saga';
import { IllegalTransitionError } from './errors';
import { advanceForward, failForward, resend } from './forward';
import type { Run } from './run';
import { auditDetails } from './operator-actions';
import { STEP_STATUS, type OperatorAudit, type RecordedError } from './types';

// a function, so TypeScript does not narrow the status across the calls that change it
const isRunning = (run: Run) => run.state.status === 'running';

/** The step's forward retries ran out and its policy is to pause: hold the saga for an operator. */
export function pauseStep(run: Run, step: CompiledStep, error: RecordedError): void {
  const st = run.st(step.name);
  st.status = STEP_STATUS.paused;
  st.error = error;
  st.commandId = undefined;
  run.history.push({
    type: 'paused',
    step: step.name,
    details: {
      reason: 'retries exhausted',
      ...(st.participant === undefined ? {} : { participant: st.participant }),
      error: { ...error },
    },
  });
  run.state.error = error;
  // already paused by an operator: the step's last reply came in while it was
  if (run.state.status === 'running') run.transition('paused');
}

/** Operator: pause a running saga where it is. */
export function pause(
  run: Run,
  { reason, participant, ...audit }: { reason: string; participant?: string } & OperatorAudit,
): void {
  if (run.state.status !== 'running') {
    throw new IllegalTransitionError(
      `saga ${run.state.id} is ${run.state.status}; only a running saga can be paused`,
    );
  }
  run.history.push({
    type: 'paused',
    details: {
      reason,
      ...auditDetails(audit),
      ...(participant === undefined ? {} : { participant }),
    },
  });
  run.transition('paused');
}

/**
 * Operator: resume a paused saga. A step that failed for good while it was paused fails the saga
 * now (it compensates, or past the pivot fails); otherwise the paused steps run again from
 * attempt 1, and a stage that finished while paused moves on.
 */
export function unpause(run: Run, audit: OperatorAudit = {}): void {
  if (run.state.status !== 'paused') {
    throw new IllegalTransitionError(
      `saga ${run.state.id} is ${run.state.status}; only a paused saga can be resumed`,
    );
  }
  const steps = run.stageSteps(run.state.stage);
  const paused = steps.filter((s) => run.st(s.name).status === STEP_STATUS.paused);
  run.history.push({
    type: 'resumed',
    details: { from: 'paused', steps: paused.map((s) => s.name), ...auditDetails(audit) },
  });
  run.transition('running');
  const failedStep = steps.find((s) => {
    const status = run.st(s.name).status;
    return status === STEP_STATUS.failed || status === STEP_STATUS.timedOut;
  });
  if (failedStep) {
    failForward(run, run.st(failedStep.name).error ?? run.state.error!);
    return;
  }
  delete run.state.error;
  for (const step of paused) {
    delete run.st(step.name).error;
    // the same operation (`ce_steprun`): its attempts so far stored nothing, or an answer to keep
    resend(run, step, 1);
    // its invoke threw: the saga is compensating now, and the other paused steps with it
    if (!isRunning(run)) return;
  }
  advanceForward(run);
}

/** Operator: skip a paused step its definition marks `skippable`, then resume the saga. */
export function skipStep(
  run: Run,
  stepName: string,
  reason: string,
  audit: OperatorAudit = {},
): void {
  const step = run.def.step(stepName);
  const st = run.state.steps[stepName];
  if (run.state.status !== 'paused' || st?.status !== STEP_STATUS.paused) {
    throw new IllegalTransitionError(
      `saga ${run.state.id}: step ${stepName} is not paused (saga ${run.state.status}, step ${st?.status ?? 'unknown'})`,
    );
  }
  if (!step!.skippable) {
    throw new IllegalTransitionError(
      `saga ${run.state.id}: step ${stepName} cannot be skipped; its definition does not set skippable: true`,
    );
  }
  st.status = STEP_STATUS.skipped;
  st.skipReason = reason;
  st.endedAt = run.ctx.now;
  delete st.error;
  run.history.push({
    type: 'step-skipped',
    step: stepName,
    details: { reason, ...auditDetails(audit) },
  });
  // an attempt may still be redelivered: the fence makes its participant refuse it
  if (!st.fenced) run.sendFence(step!);
  unpause(run, audit);
}
