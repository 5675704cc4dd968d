// Forward execution: entering a stage (a sequential step, or a parallel group sent at once),
// skipping conditional steps, applying a success, and a step failing for good — which either
// starts compensation or, past the pivot, fails the saga once its stage has settled (or, while the
// saga is paused, waits for the operator).
import { beginCompensation, continueCompensation, needsCompensation } from './compensation';
import type { CommandSpec, CompiledStep } from './define-saga';
import { IN_FLIGHT, type Run } from './run';
import { callbackFailed } from './step-errors';
import { STEP_STATUS, type RecordedError, type StepState } from './types';

/** Starts stage `index`, or the next one with a step to run; `completed` past the last. */
export function enterStage(run: Run, index: number): void {
  for (let i = index; ; i++) {
    run.state.stage = i;
    if (i >= run.def.stages.length) {
      run.transition('completed');
      return;
    }
    const planned: { step: CompiledStep; spec: CommandSpec }[] = [];
    let failure: RecordedError | undefined;
    for (const step of run.stageSteps(i)) {
      const st = run.st(step.name);
      try {
        if (step.when && !step.when(run.view())) {
          st.status = STEP_STATUS.skipped;
          run.history.push({ type: 'step-skipped', step: step.name });
          continue;
        }
        planned.push({ step, spec: step.invoke(run.view()) });
      } catch (error) {
        const stepFailure = invokeFailed(run, step, error);
        failure ??= stepFailure;
      }
    }
    if (failure) {
      // nothing of this stage was sent: the others never start
      for (const { step } of planned) run.st(step.name).status = STEP_STATUS.cancelled;
      failForward(run, failure);
      return;
    }
    for (const { step, spec } of planned) {
      const st = run.st(step.name);
      st.status = STEP_STATUS.running;
      st.attempts = 1;
      st.startedAt = run.ctx.now;
      run.history.push({ type: 'step-started', step: step.name });
      run.send(step, 'execute', 1, spec);
    }
    if (planned.length > 0) return;
  }
}

/** invoke() or when() threw: the step fails with nothing sent (so nothing to undo). */
function invokeFailed(run: Run, step: CompiledStep, error: unknown): RecordedError {
  const failure = callbackFailed(step, 'INVOKE_FAILED', 'invoke', error);
  const st = run.st(step.name);
  st.status = STEP_STATUS.failed;
  st.error = failure;
  st.endedAt = run.ctx.now;
  run.history.push({ type: 'step-failed', step: step.name, details: { ...failure } });
  return failure;
}

/** Sends attempt `attempt` of the step's forward command (a retry, or an operator's new run). */
export function resend(run: Run, step: CompiledStep, attempt: number): void {
  const st = run.st(step.name);
  let spec;
  try {
    spec = step.invoke(run.view());
  } catch (error) {
    failForward(run, invokeFailed(run, step, error));
    return;
  }
  st.status = STEP_STATUS.running;
  st.attempts = attempt;
  run.send(step, 'execute', attempt, spec);
}

export function forwardSucceeded(run: Run, step: CompiledStep, result: unknown): void {
  const st = run.st(step.name);
  st.status = STEP_STATUS.succeeded;
  st.endedAt = run.ctx.now;
  st.commandId = undefined;
  delete st.outcomeUnknown;
  delete st.error;
  let mappingError: RecordedError | undefined;
  if (step.onReply) {
    try {
      run.state.data = { ...run.state.data, ...step.onReply(run.view(), result) };
    } catch (error) {
      mappingError = callbackFailed(step, 'ON_REPLY_FAILED', 'onReply', error);
    }
  }
  run.history.push({ type: 'step-succeeded', step: step.name });
  // the participant did the work even if mapping its reply failed: compensation covers it
  if (mappingError) failForward(run, mappingError);
  else advanceForward(run);
}

/** After a change in the current stage: next stage when it is done, `failed` once a post-pivot failure settles. */
export function advanceForward(run: Run): void {
  if (run.state.status !== 'running') return;
  const steps = run.stageSteps(run.state.stage).map((s) => run.st(s.name));
  const settled = (s: StepState) => !IN_FLIGHT.includes(s.status);
  if (steps.some((s) => s.status === STEP_STATUS.failed || s.status === STEP_STATUS.timedOut)) {
    if (steps.every(settled)) run.transition('failed');
    return;
  }
  if (steps.every((s) => s.status === STEP_STATUS.succeeded || s.status === STEP_STATUS.skipped)) {
    enterStage(run, run.state.stage + 1);
  }
}

/** A business refusal: the participant did nothing and answers any later attempt the same way. */
export function stepRefused(run: Run, step: CompiledStep, error: RecordedError): void {
  run.st(step.name).refused = true;
  stepFailed(run, step, error, false);
}

export function stepFailed(
  run: Run,
  step: CompiledStep,
  error: RecordedError,
  outcomeUnknown: boolean,
): void {
  const st = run.st(step.name);
  st.status = outcomeUnknown ? STEP_STATUS.timedOut : STEP_STATUS.failed;
  st.error = error;
  st.endedAt = run.ctx.now;
  st.commandId = undefined;
  if (!outcomeUnknown) delete st.outcomeUnknown;
  run.history.push({ type: 'step-failed', step: step.name, details: { ...error } });
  failForward(run, error);
}

/**
 * A forward failure: compensate, or (past the pivot) wait for the stage to settle and fail. A
 * paused saga only records it: resuming it acts on the failed step (pause.ts).
 */
export function failForward(run: Run, error: RecordedError): void {
  run.state.error = error;
  if (run.state.status === 'paused') return;
  abandonForward(run);
}

/** Gives up forward progress now, paused or not: compensate, or past the pivot settle and fail. */
export function abandonForward(run: Run): void {
  // a paused step is given up on: failed, like a step whose policy is to compensate
  for (const step of run.stageSteps(run.state.stage)) {
    const st = run.st(step.name);
    if (st.status !== STEP_STATUS.paused) continue;
    st.status = st.outcomeUnknown ? STEP_STATUS.timedOut : STEP_STATUS.failed;
    st.endedAt = run.ctx.now;
  }
  if (run.pastPivot) {
    advanceForward(run);
    return;
  }
  run.transition('compensating');
  for (const step of run.stageSteps(run.state.stage)) {
    const st = run.st(step.name);
    const inFlight = IN_FLIGHT.includes(st.status);
    if (inFlight && !needsCompensation(run, step)) {
      st.status = STEP_STATUS.cancelled;
      st.commandId = undefined;
    }
  }
  beginCompensation(run, run.state.stage);
  continueCompensation(run);
}
