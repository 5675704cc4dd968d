// A forward attempt that ended in an `error` reply or a timeout: retried under the step's policy.
// Once retries are over, a step with `onExhausted: 'pause'` pauses the saga (pause.ts). Otherwise
// a step whose outcome is unknown and that has no compensation is not guessed at: an awaited
// fence asks its participant whether it ran, and the answer settles it.
import { FENCE_TYPE, type Outcome } from '@skald/protocol';
import type { CompiledStep } from './define-saga';
import { forwardSucceeded, stepFailed } from './forward';
import { pauseStep } from './pause';
import type { Run } from './run';
import { asObject, errorOf, retriesExhausted } from './step-errors';
import { STEP_STATUS, type RecordedError } from './types';

export function forwardAttemptFailed(
  run: Run,
  step: CompiledStep,
  cause: RecordedError,
  timedOut: boolean,
): void {
  const st = run.st(step.name);
  st.commandId = undefined;
  if (timedOut) {
    st.outcomeUnknown = true;
    run.history.push({
      type: 'step-timed-out',
      step: step.name,
      details: { attempt: st.attempts },
    });
  }
  if (run.scheduleRetry(step, 'execute', step.retry, st.attempts, cause)) {
    st.status = STEP_STATUS.retrying;
    st.error = cause;
    return;
  }
  const exhausted = st.attempts >= step.retry.maxAttempts;
  const error = exhausted ? retriesExhausted(`step ${step.name}`, step, st.attempts, cause) : cause;
  // a non-retryable code is a failure, not exhaustion: only running out of attempts pauses
  if (exhausted && step.onExhausted === 'pause') pauseStep(run, step, error);
  else if (st.outcomeUnknown && !step.compensate) resolveOutcome(run, step, error);
  else stepFailed(run, step, error, st.outcomeUnknown === true);
}

/**
 * A step with no compensation whose outcome is unknown: nothing could undo it, so instead of
 * guessing, ask its participant with a fence (awaited, retried like a compensation) whether it
 * ran. Ran: the step succeeded after all. Did not: it now never will, and the step failed.
 */
function resolveOutcome(run: Run, step: CompiledStep, failure: RecordedError): void {
  const st = run.st(step.name);
  st.status = STEP_STATUS.resolving;
  st.error = failure;
  askFence(run, step, 1);
}

/** Sends attempt `attempt` of the awaited fence that asks whether the step ran. */
export function askFence(run: Run, step: CompiledStep, attempt: number): void {
  const st = run.st(step.name);
  const participant = run.participantOf(step);
  if (participant === undefined) {
    stepFailed(run, step, st.error!, true);
    return;
  }
  st.compensationAttempts = attempt;
  st.fenced = true;
  run.send(step, 'fence', attempt, { participant, command: FENCE_TYPE, payload: {} });
}

/** The participant's answer to an awaited fence: `{ executed, reply? }`. */
export function outcomeResolved(
  run: Run,
  step: CompiledStep,
  outcome: Outcome,
  data: unknown,
): void {
  const st = run.st(step.name);
  st.commandId = undefined;
  const answer = asObject(data) as { executed?: unknown; reply?: unknown };
  if (outcome === 'error') {
    fenceAttemptFailed(run, step, errorOf(data, 'ERROR', step.name));
    return;
  }
  const executed = outcome === 'success' ? answer.executed : undefined;
  run.history.push({
    type: 'outcome-resolved',
    step: step.name,
    details: { executed: typeof executed === 'boolean' ? executed : null },
  });
  if (executed === true) forwardSucceeded(run, step, answer.reply ?? {});
  // did not run and now never will: a failure with nothing to undo
  else if (executed === false) stepFailed(run, step, st.error!, false);
  // the participant keeps no record (or cannot read a fence): the outcome stays unknown
  else stepFailed(run, step, st.error!, true);
}

export function fenceAttemptFailed(run: Run, step: CompiledStep, cause: RecordedError): void {
  const st = run.st(step.name);
  st.commandId = undefined;
  if (run.scheduleRetry(step, 'fence', step.compensationRetry, st.compensationAttempts, cause))
    return;
  stepFailed(run, step, st.error!, true);
}
