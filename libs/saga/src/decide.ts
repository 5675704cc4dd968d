// decide(): (definition, state, event) → (new state, commands, timers, history). Pure: time, ids
// and randomness come from the context, so a saga can be replayed and unit-tested without I/O.
// This file checks the state against its definition and routes each event to its handler: forward
// execution (forward.ts, forward-retries.ts), compensation (compensation.ts) and operator actions
// (operator-actions.ts), all working on one Run (run.ts).
import {
  compensationAttemptFailed,
  compensationFailed,
  compensationSucceeded,
  continueCompensation,
  sendCompensation,
} from './compensation';
import type { SagaDefinition } from './define-saga';
import { DefinitionMismatchError } from './errors';
import { enterStage, failForward, forwardSucceeded, resend, stepRefused } from './forward';
import {
  askFence,
  fenceAttemptFailed,
  forwardAttemptFailed,
  outcomeResolved,
} from './forward-retries';
import { cancel, resume, skipCompensation } from './operator-actions';
import { pause, skipStep, unpause } from './pause';
import { Run } from './run';
import { errorOf } from './step-errors';
import {
  STEP_STATUS,
  type DecideContext,
  type SagaDecision,
  type SagaEvent,
  type SagaState,
} from './types';

/** Why decide() ignores a timer event of a paused saga. */
export const PAUSED_HOLDS_TIMERS = 'the saga is paused: its timers are held until it is resumed';

export function initialState(
  definition: SagaDefinition,
  init: { id: string; input: unknown; now: number },
): SagaState {
  return {
    id: init.id,
    type: definition.name,
    version: definition.version,
    status: 'running',
    input: init.input,
    data: {},
    stage: 0,
    steps: Object.fromEntries(
      definition
        .stepNames()
        .map((name) => [
          name,
          { status: STEP_STATUS.pending, attempts: 0, compensationAttempts: 0 },
        ]),
    ),
    deadlineAt: definition.deadlineMs === undefined ? undefined : init.now + definition.deadlineMs,
  };
}

function checkMatches(definition: SagaDefinition, state: SagaState): void {
  const label = `saga ${state.id} (${state.type} v${state.version})`;
  if (state.type !== definition.name || state.version !== definition.version) {
    throw new DefinitionMismatchError(
      `${label} was given definition ${definition.name} v${definition.version}`,
    );
  }
  const expected = definition.stepNames();
  const actual = Object.keys(state.steps);
  const missing = expected.filter((n) => !(n in state.steps));
  const extra = actual.filter((n) => !definition.step(n));
  if (missing.length || extra.length) {
    throw new DefinitionMismatchError(
      `${label} does not match its definition (steps missing from the saga: ${missing.join(', ') || 'none'}; ` +
        `unknown steps: ${extra.join(', ') || 'none'}); change a definition only under a new version`,
    );
  }
}

/** Applies one event. Never mutates `state`; `ignored` explains events that change nothing. */
export function decide(
  definition: SagaDefinition,
  state: SagaState,
  event: SagaEvent,
  ctx: DecideContext,
): SagaDecision {
  checkMatches(definition, state);
  const run = new Run(definition, structuredClone(state), ctx);
  const ignored = apply(run, event);
  if (ignored !== undefined) return { state, commands: [], timers: [], history: [], ignored };
  return { state: run.state, commands: run.commands, timers: run.timers, history: run.history };
}

function apply(run: Run, event: SagaEvent): string | undefined {
  const s = run.state;
  switch (event.kind) {
    case 'start':
      if (
        s.status !== 'running' ||
        Object.values(s.steps).some((st) => st.status !== STEP_STATUS.pending)
      ) {
        return 'saga already started';
      }
      run.history.push({ type: 'saga-started', details: { version: s.version } });
      if (s.deadlineAt !== undefined) run.timers.push({ kind: 'deadline', dueAt: s.deadlineAt });
      enterStage(run, 0);
      return undefined;

    case 'cancel':
      cancel(run, event.reason, event);
      return undefined;
    case 'resume':
      resume(run, event);
      return undefined;
    case 'skip-compensation':
      skipCompensation(run, event.step, event.reason, event.actor);
      return undefined;
    case 'pause':
      pause(run, event);
      return undefined;
    case 'unpause':
      unpause(run, event);
      return undefined;
    case 'skip-step':
      skipStep(run, event.step, event.reason, event);
      return undefined;

    case 'deadline':
      if (s.status === 'paused') return PAUSED_HOLDS_TIMERS;
      if (s.status !== 'running') return `deadline passed while ${s.status}`;
      if (run.pastPivot) return 'deadline passed after the pivot was sent';
      run.history.push({ type: 'deadline-passed' });
      failForward(run, {
        code: 'DEADLINE_EXCEEDED',
        message: `the saga did not finish before its deadline`,
      });
      return undefined;
  }

  // the engine keeps a paused saga's timers until it is resumed (they never reach here)
  if (event.kind !== 'reply' && s.status === 'paused') return PAUSED_HOLDS_TIMERS;
  const step = run.def.step(event.step);
  if (!step) return `unknown step ${event.step}`;
  const st = s.steps[event.step];
  const forward = event.phase === 'execute';
  const fence = event.phase === 'fence';
  const awaiting = fence
    ? st.status === STEP_STATUS.resolving
    : forward
      ? // a reply that comes while paused applies to its step; the saga moves on once resumed
        (s.status === 'running' || s.status === 'paused') && st.status === STEP_STATUS.running
      : s.status === 'compensating' && st.status === STEP_STATUS.compensating;
  const attempt = forward ? st.attempts : st.compensationAttempts;

  switch (event.kind) {
    case 'reply': {
      if (!awaiting || st.commandId !== event.commandId) {
        return `reply to ${event.commandId} is not awaited (step ${event.step} ${st.status}, saga ${s.status})`;
      }
      run.history.push({
        type: 'reply-applied',
        step: step.name,
        details: { phase: event.phase, outcome: event.outcome, commandId: event.commandId },
      });
      if (fence) outcomeResolved(run, step, event.outcome, event.data);
      else if (forward) {
        if (event.outcome === 'success') forwardSucceeded(run, step, event.data);
        else if (event.outcome === 'failure')
          stepRefused(run, step, errorOf(event.data, 'FAILURE', step.name));
        else forwardAttemptFailed(run, step, errorOf(event.data, 'ERROR', step.name), false);
      } else if (event.outcome === 'success') compensationSucceeded(run, step);
      // a compensation must not be refused: a business "no" here needs an operator
      else if (event.outcome === 'failure')
        compensationFailed(run, step, errorOf(event.data, 'FAILURE', step.name));
      else compensationAttemptFailed(run, step, errorOf(event.data, 'ERROR', step.name), false);
      return undefined;
    }
    case 'step-timeout': {
      if (!awaiting || attempt !== event.attempt)
        return `timeout of attempt ${event.attempt} of ${event.step} no longer applies`;
      const cause = {
        code: 'STEP_TIMEOUT',
        message: `no reply within ${step.timeoutMs} ms`,
        step: step.name,
      };
      if (fence) fenceAttemptFailed(run, step, cause);
      else if (forward) forwardAttemptFailed(run, step, cause, true);
      else compensationAttemptFailed(run, step, cause, true);
      return undefined;
    }
    case 'retry-due': {
      const waiting = fence
        ? st.status === STEP_STATUS.resolving && st.commandId === undefined
        : forward
          ? s.status === 'running' && st.status === STEP_STATUS.retrying
          : s.status === 'compensating' && st.status === STEP_STATUS.compensationRetrying;
      if (!waiting || attempt + 1 !== event.attempt)
        return `retry ${event.attempt} of ${event.step} no longer applies`;
      if (fence) askFence(run, step, event.attempt);
      else if (forward) resend(run, step, event.attempt);
      else {
        sendCompensation(run, step, event.attempt);
        continueCompensation(run);
      }
      return undefined;
    }
  }
}
