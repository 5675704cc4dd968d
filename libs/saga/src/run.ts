// The working copy one event is applied to (Run), and the moves every part of decide() is built
// from: a legal status change, sending a command with its step timeout, fencing a step, scheduling
// a retry. Forward execution, compensation and operator actions (their own files) call these and
// never push commands, timers or history entries of these kinds themselves.
import { FENCE_TYPE } from '@skald/protocol';
import type { CommandSpec, CompiledStep, SagaDefinition, SagaView } from './define-saga';
import { IllegalTransitionError } from './errors';
import { backoffDelayMs, type CompiledRetryPolicy } from './retry-policy';
import {
  STEP_STATUS,
  type DecideContext,
  type HistoryEntry,
  type OutgoingCommand,
  type RecordedError,
  type SagaPhase,
  type SagaState,
  type SagaStatus,
  type StepState,
  type TimerRequest,
} from './types';

/** Every legal move of a saga's status; anything else is a bug and throws. */
export const VALID_SAGA_TRANSITIONS: Readonly<Record<SagaStatus, readonly SagaStatus[]>> = {
  running: ['paused', 'compensating', 'completed', 'failed'],
  // resume, or cancel (it compensates)
  paused: ['running', 'compensating'],
  compensating: ['compensated', 'failed'],
  failed: ['compensating', 'running'],
  completed: [],
  compensated: [],
};

/** A forward command is out, or one is about to be, or its outcome is being asked for. */
export const IN_FLIGHT: readonly StepState['status'][] = [
  STEP_STATUS.running,
  STEP_STATUS.retrying,
  STEP_STATUS.resolving,
];

/** One event applied to a working copy; collects what must be persisted and sent. */
export class Run {
  readonly commands: OutgoingCommand[] = [];
  readonly timers: TimerRequest[] = [];
  readonly history: HistoryEntry[] = [];

  constructor(
    readonly def: SagaDefinition,
    readonly state: SagaState,
    readonly ctx: DecideContext,
  ) {}

  /** What the step callbacks see of the saga. */
  view(): SagaView<unknown, Record<string, unknown>> {
    return { id: this.state.id, input: this.state.input, data: this.state.data };
  }

  st(name: string): StepState {
    return this.state.steps[name];
  }

  stageSteps(index: number): readonly CompiledStep[] {
    return this.def.stages[index]?.steps ?? [];
  }

  /** Past the pivot, or the pivot's command is out: either way the saga can only finish forward. */
  get pastPivot(): boolean {
    const pivot = this.def.pivotStage;
    if (pivot === undefined) return false;
    if (this.state.stage > pivot) return true;
    // compensating now could undo earlier steps while the pivot (say, a charge) still goes through,
    // or went through unseen (paused after its last attempt timed out)
    const mayGoThrough = (st: StepState) =>
      IN_FLIGHT.includes(st.status) || (st.status === STEP_STATUS.paused && st.outcomeUnknown);
    return (
      this.state.stage === pivot &&
      this.stageSteps(pivot).some((s) => mayGoThrough(this.st(s.name)))
    );
  }

  transition(to: SagaStatus): void {
    const from = this.state.status;
    if (!VALID_SAGA_TRANSITIONS[from].includes(to)) {
      throw new IllegalTransitionError(`saga ${this.state.id} cannot go from ${from} to ${to}`);
    }
    this.state.status = to;
    this.history.push({ type: 'status-changed', details: { from, to } });
  }

  /** Sends an awaited command (forward, compensation or fence) with a timer for its answer. */
  send(step: CompiledStep, phase: SagaPhase, attempt: number, spec: CommandSpec): void {
    const id = this.ctx.newId();
    const st = this.st(step.name);
    const run = st.run ?? 1;
    st.commandId = id;
    if (phase === 'execute') st.participant = spec.participant;
    this.commands.push({
      id,
      participant: spec.participant,
      command: spec.command,
      phase,
      step: step.name,
      attempt,
      run,
      payload: spec.payload,
    });
    this.timers.push({
      kind: 'step-timeout',
      step: step.name,
      phase,
      attempt,
      dueAt: this.ctx.now + step.timeoutMs,
      commandId: id,
    });
    this.history.push({
      type: 'command-sent',
      step: step.name,
      details: {
        participant: spec.participant,
        command: spec.command,
        phase,
        attempt,
        ...(run > 1 ? { run } : {}),
        commandId: id,
      },
    });
  }

  /**
   * Tells the participant of a step given up on without a compensation never to run it: a late
   * (redelivered) attempt is then refused instead of leaving an effect nothing undoes. Not awaited:
   * keyed by saga id, it reaches the participant after every command sent before it.
   */
  sendFence(step: CompiledStep): void {
    const st = this.st(step.name);
    const participant = this.participantOf(step);
    if (participant === undefined) return;
    st.fenced = true;
    const id = this.ctx.newId();
    this.commands.push({
      id,
      participant,
      command: FENCE_TYPE,
      phase: 'fence',
      step: step.name,
      attempt: 1,
      run: st.run ?? 1,
      payload: {},
    });
    this.history.push({
      type: 'step-fenced',
      step: step.name,
      details: { participant, commandId: id },
    });
  }

  /** The participant of a step's forward command; from invoke() for sagas stored before it was recorded. */
  participantOf(step: CompiledStep): string | undefined {
    try {
      return this.st(step.name).participant ?? step.invoke(this.view()).participant;
    } catch {
      return undefined;
    }
  }

  /** Queues the next attempt when the policy allows one; false when retries are over. */
  scheduleRetry(
    step: CompiledStep,
    phase: SagaPhase,
    policy: CompiledRetryPolicy,
    attempts: number,
    cause: RecordedError,
  ): boolean {
    if (attempts >= policy.maxAttempts || policy.nonRetryableCodes.includes(cause.code))
      return false;
    const delayMs = backoffDelayMs(policy, attempts, this.ctx.random);
    const attempt = attempts + 1;
    this.timers.push({
      kind: 'retry',
      step: step.name,
      phase,
      attempt,
      dueAt: this.ctx.now + delayMs,
    });
    this.history.push({
      type: 'retry-scheduled',
      step: step.name,
      details: { phase, attempt, delayMs, reason: cause.code },
    });
    return true;
  }
}
