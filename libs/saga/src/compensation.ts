// Compensation: undoing, stage by stage in reverse, what a saga's steps may have done once it
// cannot finish forward. A step with no compensation is fenced instead; a compensation is retried
// under its own policy and, when it fails for good, leaves the saga `failed` for an operator.
import type { CompiledStep } from './define-saga';
import { misroutedCompensation } from './errors';
import type { Run } from './run';
import { callbackFailed, retriesExhausted } from './step-errors';
import { STEP_STATUS, type RecordedError, type StepState } from './types';

/** Step statuses in which a sent command may have been (or may yet be) executed. */
const MAY_HAVE_RUN: readonly StepState['status'][] = [
  STEP_STATUS.succeeded,
  STEP_STATUS.running,
  STEP_STATUS.retrying,
  STEP_STATUS.failed,
  STEP_STATUS.timedOut,
  STEP_STATUS.cancelled,
];

/**
 * A command of the step was sent and not refused, so the participant may have run it, or may
 * still run a redelivered attempt — even when every reply so far was a transient error.
 */
function mayHaveRun(run: Run, step: CompiledStep): boolean {
  const st = run.st(step.name);
  return st.attempts > 0 && !st.refused && MAY_HAVE_RUN.includes(st.status);
}

export function needsCompensation(run: Run, step: CompiledStep): boolean {
  return step.compensate !== undefined && mayHaveRun(run, step);
}

/** Undoes what the stage may have done; a step with no compensation is fenced instead. */
export function beginCompensation(run: Run, stage: number): void {
  for (const step of run.stageSteps(stage)) {
    if (needsCompensation(run, step)) {
      run.st(step.name).compensationAttempts = 0;
      run.history.push({ type: 'compensation-started', step: step.name });
      sendCompensation(run, step, 1);
    } else if (
      mayHaveRun(run, step) &&
      run.st(step.name).status !== STEP_STATUS.succeeded &&
      !run.st(step.name).fenced
    ) {
      run.sendFence(step);
    }
  }
}

export function sendCompensation(run: Run, step: CompiledStep, attempt: number): void {
  const st = run.st(step.name);
  st.compensationAttempts = attempt;
  let spec;
  try {
    spec = step.compensate!(run.view());
  } catch (error) {
    // callers settle the stage (continueCompensation) once every member has been sent
    markCompensationFailed(
      run,
      step,
      callbackFailed(step, 'COMPENSATE_FAILED', 'compensate', error),
    );
    return;
  }
  if (st.participant !== undefined && spec.participant !== st.participant) {
    markCompensationFailed(run, step, {
      code: 'COMPENSATION_PARTICIPANT_MISMATCH',
      message: misroutedCompensation(step.name, st.participant, spec.participant),
      step: step.name,
    });
    return;
  }
  st.status = STEP_STATUS.compensating;
  run.send(step, 'compensate', attempt, spec);
}

export function compensationSucceeded(run: Run, step: CompiledStep): void {
  const st = run.st(step.name);
  st.status = STEP_STATUS.compensated;
  st.commandId = undefined;
  st.endedAt = run.ctx.now;
  run.history.push({ type: 'compensation-succeeded', step: step.name });
  continueCompensation(run);
}

export function compensationAttemptFailed(
  run: Run,
  step: CompiledStep,
  cause: RecordedError,
  timedOut: boolean,
): void {
  const st = run.st(step.name);
  st.commandId = undefined;
  if (timedOut)
    run.history.push({
      type: 'step-timed-out',
      step: step.name,
      details: { phase: 'compensate', attempt: st.compensationAttempts },
    });
  const policy = step.compensationRetry;
  if (run.scheduleRetry(step, 'compensate', policy, st.compensationAttempts, cause)) {
    st.status = STEP_STATUS.compensationRetrying;
    return;
  }
  compensationFailed(
    run,
    step,
    retriesExhausted(`compensation of step ${step.name}`, step, st.compensationAttempts, cause),
  );
}

function markCompensationFailed(run: Run, step: CompiledStep, error: RecordedError): void {
  const st = run.st(step.name);
  st.status = STEP_STATUS.compensationFailed;
  st.error = error;
  st.commandId = undefined;
  run.history.push({ type: 'compensation-failed', step: step.name, details: { ...error } });
}

export function compensationFailed(run: Run, step: CompiledStep, error: RecordedError): void {
  markCompensationFailed(run, step, error);
  continueCompensation(run);
}

/** Moves down the stages once the current one is compensated; `failed` if a compensation failed for good. */
export function continueCompensation(run: Run): void {
  if (run.state.status !== 'compensating') return;
  for (;;) {
    const stage = run.state.stage;
    if (stage < 0) {
      run.transition('compensated');
      return;
    }
    const states = run.stageSteps(stage).map((s) => run.st(s.name));
    if (
      states.some(
        (s) =>
          s.status === STEP_STATUS.compensating || s.status === STEP_STATUS.compensationRetrying,
      )
    )
      return;
    const failed = failedCompensations(run, stage);
    if (failed.length > 0) {
      run.state.error = {
        code: 'COMPENSATION_FAILED',
        message: `compensation of step ${failed.map((s) => s.name).join(', ')} failed; fix the participant and POST /v1/sagas/${run.state.id}/retry, or skip it`,
        step: failed[0].name,
        details: {
          cause:
            run.state.error?.code === 'COMPENSATION_FAILED'
              ? run.state.error.details
              : run.state.error,
        },
      };
      run.transition('failed');
      return;
    }
    run.state.stage = stage - 1;
    if (stage - 1 >= 0) beginCompensation(run, stage - 1);
  }
}

/** The steps of a stage whose compensation failed for good (until an operator acts). */
export function failedCompensations(run: Run, stage: number): readonly CompiledStep[] {
  return run
    .stageSteps(stage)
    .filter((s) => run.st(s.name).status === STEP_STATUS.compensationFailed);
}

/** The failure that started compensation, once a compensation failure is resolved. */
export function restoreCause(run: Run): void {
  if (run.state.error?.code === 'COMPENSATION_FAILED') {
    run.state.error =
      (run.state.error.details as { cause?: RecordedError } | undefined)?.cause ?? run.state.error;
  }
}
