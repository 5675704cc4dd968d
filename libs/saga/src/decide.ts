// decide(): (definition, state, event) → (new state, commands, timers, history). Pure: time, ids
// and randomness come from the context, so a saga can be replayed and unit-tested without I/O.
import { FENCE_TYPE, type Outcome } from '@skald/protocol';
import type { CompiledStep, SagaDefinition, SagaView } from './define-saga';
import { DefinitionMismatchError, IllegalTransitionError, misroutedCompensation } from './errors';
import { backoffDelayMs, type CompiledRetryPolicy } from './retry-policy';
import {
  STEP_STATUS,
  type DecideContext,
  type HistoryEntry,
  type OutgoingCommand,
  type RecordedError,
  type SagaDecision,
  type SagaEvent,
  type SagaPhase,
  type SagaState,
  type SagaStatus,
  type StepState,
  type TimerRequest,
} from './types';

/** Every legal move of a saga's status; anything else is a bug and throws. */
export const VALID_SAGA_TRANSITIONS: Readonly<Record<SagaStatus, readonly SagaStatus[]>> = {
  running: ['compensating', 'completed', 'failed'],
  compensating: ['compensated', 'failed'],
  failed: ['compensating', 'running'],
  completed: [],
  compensated: [],
};

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

/** A reply's data as an object to read fields from; anything else reads as `{}`. */
const asObject = (data: unknown): object => (typeof data === 'object' && data !== null ? data : {});

function errorOf(data: unknown, fallbackCode: string, step: string): RecordedError {
  const body = asObject(data) as Partial<RecordedError>;
  return {
    code: typeof body.code === 'string' ? body.code : fallbackCode,
    message: typeof body.message === 'string' ? body.message : `step ${step}: ${fallbackCode}`,
    step,
    ...(body.details === undefined ? {} : { details: body.details }),
  };
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** One of the step's own callbacks (invoke, onReply, compensate) threw. */
function callbackFailed(
  step: CompiledStep,
  code: string,
  callback: string,
  error: unknown,
): RecordedError {
  return {
    code,
    message: `step ${step.name}: ${callback} failed: ${messageOf(error)}`,
    step: step.name,
  };
}

/** `subject` (a step, or its compensation) failed on its last allowed attempt. */
function retriesExhausted(
  subject: string,
  step: CompiledStep,
  attempts: number,
  cause: RecordedError,
): RecordedError {
  return {
    code: 'RETRIES_EXHAUSTED',
    message: `${subject} failed after ${attempts} attempt(s); last: ${cause.code}: ${cause.message}`,
    step: step.name,
    details: { lastError: cause },
  };
}

/** A forward command is out, or one is about to be, or its outcome is being asked for. */
const IN_FLIGHT: readonly StepState['status'][] = [
  STEP_STATUS.running,
  STEP_STATUS.retrying,
  STEP_STATUS.resolving,
];

/** Step statuses in which a sent command may have been (or may yet be) executed. */
const MAY_HAVE_RUN: readonly StepState['status'][] = [
  STEP_STATUS.succeeded,
  STEP_STATUS.running,
  STEP_STATUS.retrying,
  STEP_STATUS.failed,
  STEP_STATUS.timedOut,
  STEP_STATUS.cancelled,
];

/** One event applied to a working copy; collects what must be persisted and sent. */
class Run {
  readonly commands: OutgoingCommand[] = [];
  readonly timers: TimerRequest[] = [];
  readonly history: HistoryEntry[] = [];

  constructor(
    readonly def: SagaDefinition,
    readonly state: SagaState,
    readonly ctx: DecideContext,
  ) {}

  private view(): SagaView<unknown, Record<string, unknown>> {
    return { id: this.state.id, input: this.state.input, data: this.state.data };
  }

  private st(name: string): StepState {
    return this.state.steps[name];
  }

  private stageSteps(index: number): readonly CompiledStep[] {
    return this.def.stages[index]?.steps ?? [];
  }

  /** Past the pivot, or the pivot's command is out: either way the saga can only finish forward. */
  get pastPivot(): boolean {
    const pivot = this.def.pivotStage;
    if (pivot === undefined) return false;
    if (this.state.stage > pivot) return true;
    // compensating now could undo earlier steps while the pivot (say, a charge) still goes through
    return (
      this.state.stage === pivot &&
      this.stageSteps(pivot).some((s) => IN_FLIGHT.includes(this.st(s.name).status))
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

  private send(
    step: CompiledStep,
    phase: SagaPhase,
    attempt: number,
    spec: { participant: string; command: string; payload: unknown },
  ) {
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
  private sendFence(step: CompiledStep): void {
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
  private participantOf(step: CompiledStep): string | undefined {
    try {
      return this.st(step.name).participant ?? step.invoke(this.view()).participant;
    } catch {
      return undefined;
    }
  }

  // ---- forward ----

  enterStage(index: number): void {
    for (let i = index; ; i++) {
      this.state.stage = i;
      if (i >= this.def.stages.length) {
        this.transition('completed');
        return;
      }
      const planned: { step: CompiledStep; spec: ReturnType<CompiledStep['invoke']> }[] = [];
      let failure: RecordedError | undefined;
      for (const step of this.stageSteps(i)) {
        const st = this.st(step.name);
        try {
          if (step.when && !step.when(this.view())) {
            st.status = STEP_STATUS.skipped;
            this.history.push({ type: 'step-skipped', step: step.name });
            continue;
          }
          planned.push({ step, spec: step.invoke(this.view()) });
        } catch (error) {
          const stepFailure = this.invokeFailed(step, error);
          failure ??= stepFailure;
        }
      }
      if (failure) {
        // nothing of this stage was sent: the others never start
        for (const { step } of planned) this.st(step.name).status = STEP_STATUS.cancelled;
        this.failForward(failure);
        return;
      }
      for (const { step, spec } of planned) {
        const st = this.st(step.name);
        st.status = STEP_STATUS.running;
        st.attempts = 1;
        st.startedAt = this.ctx.now;
        this.history.push({ type: 'step-started', step: step.name });
        this.send(step, 'execute', 1, spec);
      }
      if (planned.length > 0) return;
    }
  }

  /** invoke() or when() threw: the step fails with nothing sent (so nothing to undo). */
  private invokeFailed(step: CompiledStep, error: unknown): RecordedError {
    const failure = callbackFailed(step, 'INVOKE_FAILED', 'invoke', error);
    const st = this.st(step.name);
    st.status = STEP_STATUS.failed;
    st.error = failure;
    st.endedAt = this.ctx.now;
    this.history.push({ type: 'step-failed', step: step.name, details: { ...failure } });
    return failure;
  }

  resend(step: CompiledStep, attempt: number): void {
    const st = this.st(step.name);
    let spec;
    try {
      spec = step.invoke(this.view());
    } catch (error) {
      this.failForward(this.invokeFailed(step, error));
      return;
    }
    st.status = STEP_STATUS.running;
    st.attempts = attempt;
    this.send(step, 'execute', attempt, spec);
  }

  forwardSucceeded(step: CompiledStep, result: unknown): void {
    const st = this.st(step.name);
    st.status = STEP_STATUS.succeeded;
    st.endedAt = this.ctx.now;
    st.commandId = undefined;
    delete st.outcomeUnknown;
    delete st.error;
    let mappingError: RecordedError | undefined;
    if (step.onReply) {
      try {
        this.state.data = { ...this.state.data, ...step.onReply(this.view(), result) };
      } catch (error) {
        mappingError = callbackFailed(step, 'ON_REPLY_FAILED', 'onReply', error);
      }
    }
    this.history.push({ type: 'step-succeeded', step: step.name });
    // the participant did the work even if mapping its reply failed: compensation covers it
    if (mappingError) this.failForward(mappingError);
    else this.advanceForward();
  }

  /** After a change in the current stage: next stage when it is done, `failed` once a post-pivot failure settles. */
  private advanceForward(): void {
    if (this.state.status !== 'running') return;
    const steps = this.stageSteps(this.state.stage).map((s) => this.st(s.name));
    const settled = (s: StepState) => !IN_FLIGHT.includes(s.status);
    if (steps.some((s) => s.status === STEP_STATUS.failed || s.status === STEP_STATUS.timedOut)) {
      if (steps.every(settled)) this.transition('failed');
      return;
    }
    if (
      steps.every((s) => s.status === STEP_STATUS.succeeded || s.status === STEP_STATUS.skipped)
    ) {
      this.enterStage(this.state.stage + 1);
    }
  }

  /** Queues the next attempt when the policy allows one; false when retries are over. */
  private scheduleRetry(
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

  forwardAttemptFailed(step: CompiledStep, cause: RecordedError, timedOut: boolean): void {
    const st = this.st(step.name);
    st.commandId = undefined;
    if (timedOut) {
      st.outcomeUnknown = true;
      this.history.push({
        type: 'step-timed-out',
        step: step.name,
        details: { attempt: st.attempts },
      });
    }
    if (this.scheduleRetry(step, 'execute', step.retry, st.attempts, cause)) {
      st.status = STEP_STATUS.retrying;
      st.error = cause;
      return;
    }
    const exhausted = st.attempts >= step.retry.maxAttempts;
    const error = exhausted
      ? retriesExhausted(`step ${step.name}`, step, st.attempts, cause)
      : cause;
    if (st.outcomeUnknown && !step.compensate) this.resolveOutcome(step, error);
    else this.stepFailed(step, error, st.outcomeUnknown === true);
  }

  /**
   * A step with no compensation whose outcome is unknown: nothing could undo it, so instead of
   * guessing, ask its participant with a fence (awaited, retried like a compensation) whether it
   * ran. Ran: the step succeeded after all. Did not: it now never will, and the step failed.
   */
  private resolveOutcome(step: CompiledStep, failure: RecordedError): void {
    const st = this.st(step.name);
    st.status = STEP_STATUS.resolving;
    st.error = failure;
    this.askFence(step, 1);
  }

  askFence(step: CompiledStep, attempt: number): void {
    const st = this.st(step.name);
    const participant = this.participantOf(step);
    if (participant === undefined) {
      this.stepFailed(step, st.error!, true);
      return;
    }
    st.compensationAttempts = attempt;
    st.fenced = true;
    this.send(step, 'fence', attempt, { participant, command: FENCE_TYPE, payload: {} });
  }

  /** The participant's answer to an awaited fence: `{ executed, reply? }`. */
  outcomeResolved(step: CompiledStep, outcome: Outcome, data: unknown): void {
    const st = this.st(step.name);
    st.commandId = undefined;
    const answer = asObject(data) as {
      executed?: unknown;
      reply?: unknown;
    };
    if (outcome === 'error') {
      this.fenceAttemptFailed(step, errorOf(data, 'ERROR', step.name));
      return;
    }
    const executed = outcome === 'success' ? answer.executed : undefined;
    this.history.push({
      type: 'outcome-resolved',
      step: step.name,
      details: { executed: typeof executed === 'boolean' ? executed : null },
    });
    if (executed === true) this.forwardSucceeded(step, answer.reply ?? {});
    // did not run and now never will: a failure with nothing to undo
    else if (executed === false) this.stepFailed(step, st.error!, false);
    // the participant keeps no record (or cannot read a fence): the outcome stays unknown
    else this.stepFailed(step, st.error!, true);
  }

  fenceAttemptFailed(step: CompiledStep, cause: RecordedError): void {
    const st = this.st(step.name);
    st.commandId = undefined;
    if (this.scheduleRetry(step, 'fence', step.compensationRetry, st.compensationAttempts, cause))
      return;
    this.stepFailed(step, st.error!, true);
  }

  /** A business refusal: the participant did nothing and answers any later attempt the same way. */
  stepRefused(step: CompiledStep, error: RecordedError): void {
    this.st(step.name).refused = true;
    this.stepFailed(step, error, false);
  }

  stepFailed(step: CompiledStep, error: RecordedError, outcomeUnknown: boolean): void {
    const st = this.st(step.name);
    st.status = outcomeUnknown ? STEP_STATUS.timedOut : STEP_STATUS.failed;
    st.error = error;
    st.endedAt = this.ctx.now;
    st.commandId = undefined;
    if (!outcomeUnknown) delete st.outcomeUnknown;
    this.history.push({ type: 'step-failed', step: step.name, details: { ...error } });
    this.failForward(error);
  }

  /** A forward failure: compensate, or (past the pivot) wait for the stage to settle and fail. */
  failForward(error: RecordedError): void {
    this.state.error = error;
    if (this.pastPivot) {
      this.advanceForward();
      return;
    }
    this.transition('compensating');
    for (const step of this.stageSteps(this.state.stage)) {
      const st = this.st(step.name);
      const inFlight = IN_FLIGHT.includes(st.status);
      if (inFlight && !this.needsCompensation(step)) {
        st.status = STEP_STATUS.cancelled;
        st.commandId = undefined;
      }
    }
    this.beginCompensation(this.state.stage);
    this.continueCompensation();
  }

  // ---- compensation ----

  /**
   * A command of the step was sent and not refused, so the participant may have run it, or may
   * still run a redelivered attempt — even when every reply so far was a transient error.
   */
  private mayHaveRun(step: CompiledStep): boolean {
    const st = this.st(step.name);
    return st.attempts > 0 && !st.refused && MAY_HAVE_RUN.includes(st.status);
  }

  private needsCompensation(step: CompiledStep): boolean {
    return step.compensate !== undefined && this.mayHaveRun(step);
  }

  /** Undoes what the stage may have done; a step with no compensation is fenced instead. */
  private beginCompensation(stage: number): void {
    for (const step of this.stageSteps(stage)) {
      if (this.needsCompensation(step)) {
        this.st(step.name).compensationAttempts = 0;
        this.history.push({ type: 'compensation-started', step: step.name });
        this.sendCompensation(step, 1);
      } else if (
        this.mayHaveRun(step) &&
        this.st(step.name).status !== STEP_STATUS.succeeded &&
        !this.st(step.name).fenced
      ) {
        this.sendFence(step);
      }
    }
  }

  sendCompensation(step: CompiledStep, attempt: number): void {
    const st = this.st(step.name);
    st.compensationAttempts = attempt;
    let spec;
    try {
      spec = step.compensate!(this.view());
    } catch (error) {
      // callers settle the stage (continueCompensation) once every member has been sent
      this.markCompensationFailed(
        step,
        callbackFailed(step, 'COMPENSATE_FAILED', 'compensate', error),
      );
      return;
    }
    if (st.participant !== undefined && spec.participant !== st.participant) {
      this.markCompensationFailed(step, {
        code: 'COMPENSATION_PARTICIPANT_MISMATCH',
        message: misroutedCompensation(step.name, st.participant, spec.participant),
        step: step.name,
      });
      return;
    }
    st.status = STEP_STATUS.compensating;
    this.send(step, 'compensate', attempt, spec);
  }

  compensationSucceeded(step: CompiledStep): void {
    const st = this.st(step.name);
    st.status = STEP_STATUS.compensated;
    st.commandId = undefined;
    st.endedAt = this.ctx.now;
    this.history.push({ type: 'compensation-succeeded', step: step.name });
    this.continueCompensation();
  }

  compensationAttemptFailed(step: CompiledStep, cause: RecordedError, timedOut: boolean): void {
    const st = this.st(step.name);
    st.commandId = undefined;
    if (timedOut)
      this.history.push({
        type: 'step-timed-out',
        step: step.name,
        details: { phase: 'compensate', attempt: st.compensationAttempts },
      });
    const policy = step.compensationRetry;
    if (this.scheduleRetry(step, 'compensate', policy, st.compensationAttempts, cause)) {
      st.status = STEP_STATUS.compensationRetrying;
      return;
    }
    this.compensationFailed(
      step,
      retriesExhausted(`compensation of step ${step.name}`, step, st.compensationAttempts, cause),
    );
  }

  private markCompensationFailed(step: CompiledStep, error: RecordedError): void {
    const st = this.st(step.name);
    st.status = STEP_STATUS.compensationFailed;
    st.error = error;
    st.commandId = undefined;
    this.history.push({ type: 'compensation-failed', step: step.name, details: { ...error } });
  }

  compensationFailed(step: CompiledStep, error: RecordedError): void {
    this.markCompensationFailed(step, error);
    this.continueCompensation();
  }

  /** Moves down the stages once the current one is compensated; `failed` if a compensation failed for good. */
  continueCompensation(): void {
    if (this.state.status !== 'compensating') return;
    for (;;) {
      const stage = this.state.stage;
      if (stage < 0) {
        this.transition('compensated');
        return;
      }
      const steps = this.stageSteps(stage);
      const states = steps.map((s) => this.st(s.name));
      if (
        states.some(
          (s) =>
            s.status === STEP_STATUS.compensating || s.status === STEP_STATUS.compensationRetrying,
        )
      )
        return;
      const failed = this.failedCompensations(stage);
      if (failed.length > 0) {
        this.state.error = {
          code: 'COMPENSATION_FAILED',
          message: `compensation of step ${failed.map((s) => s.name).join(', ')} failed; fix the participant and POST /v1/sagas/${this.state.id}/retry, or skip it`,
          step: failed[0].name,
          details: {
            cause:
              this.state.error?.code === 'COMPENSATION_FAILED'
                ? this.state.error.details
                : this.state.error,
          },
        };
        this.transition('failed');
        return;
      }
      this.state.stage = stage - 1;
      if (stage - 1 >= 0) this.beginCompensation(stage - 1);
    }
  }

  /** The steps of a stage whose compensation failed for good (until an operator acts). */
  private failedCompensations(stage: number): readonly CompiledStep[] {
    return this.stageSteps(stage).filter(
      (s) => this.st(s.name).status === STEP_STATUS.compensationFailed,
    );
  }

  /** The failure that started compensation, once a compensation failure is resolved. */
  private restoreCause(): void {
    if (this.state.error?.code === 'COMPENSATION_FAILED') {
      this.state.error =
        (this.state.error.details as { cause?: RecordedError } | undefined)?.cause ??
        this.state.error;
    }
  }

  // ---- operator actions ----

  resume(): void {
    if (this.state.status !== 'failed') {
      throw new IllegalTransitionError(
        `saga ${this.state.id} is ${this.state.status}; only a failed saga can be retried`,
      );
    }
    const steps = this.stageSteps(this.state.stage);
    this.history.push({ type: 'resumed' });
    const compensationFailures = this.failedCompensations(this.state.stage);
    if (compensationFailures.length > 0) {
      this.restoreCause();
      this.transition('compensating');
      for (const step of compensationFailures) {
        delete this.st(step.name).error;
        this.sendCompensation(step, 1);
      }
      this.continueCompensation();
      return;
    }
    // failed past the pivot: run the failed steps again from attempt 1, as a new operation
    // (`ce_steprun`), so a participant that refused the last run runs this one instead of
    // answering with the stored refusal
    this.transition('running');
    delete this.state.error;
    for (const step of steps) {
      const st = this.st(step.name);
      if (st.status !== STEP_STATUS.failed && st.status !== STEP_STATUS.timedOut) continue;
      delete st.error;
      delete st.refused;
      st.run = (st.run ?? 1) + 1;
      this.resend(step, 1);
    }
  }

  skipCompensation(stepName: string, reason: string): void {
    const st = this.state.steps[stepName];
    if (this.state.status !== 'failed' || st?.status !== STEP_STATUS.compensationFailed) {
      throw new IllegalTransitionError(
        `saga ${this.state.id}: step ${stepName} has no failed compensation to skip (saga ${this.state.status}, step ${st?.status ?? 'unknown'})`,
      );
    }
    st.status = STEP_STATUS.compensationSkipped;
    st.skipReason = reason;
    this.history.push({ type: 'compensation-skipped', step: stepName, details: { reason } });
    if (this.failedCompensations(this.state.stage).length > 0) return;
    this.restoreCause();
    this.transition('compensating');
    this.continueCompensation();
  }

  cancel(reason: string | undefined): void {
    const s = this.state;
    if (s.status !== 'running') {
      throw new IllegalTransitionError(
        `saga ${s.id} is ${s.status}; only a running saga can be cancelled`,
      );
    }
    if (this.pastPivot) {
      throw new IllegalTransitionError(
        `saga ${s.id} has passed its pivot step; it can only finish forward`,
      );
    }
    this.history.push({ type: 'cancel-requested', details: { reason: reason ?? null } });
    this.failForward({ code: 'CANCELLED', message: `cancelled${reason ? `: ${reason}` : ''}` });
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
      run.enterStage(0);
      return undefined;

    case 'cancel':
      run.cancel(event.reason);
      return undefined;
    case 'resume':
      run.resume();
      return undefined;
    case 'skip-compensation':
      run.skipCompensation(event.step, event.reason);
      return undefined;

    case 'deadline':
      if (s.status !== 'running') return `deadline passed while ${s.status}`;
      if (run.pastPivot) return 'deadline passed after the pivot was sent';
      run.history.push({ type: 'deadline-passed' });
      run.failForward({
        code: 'DEADLINE_EXCEEDED',
        message: `the saga did not finish before its deadline`,
      });
      return undefined;
  }

  const step = run.def.step(event.step);
  if (!step) return `unknown step ${event.step}`;
  const st = s.steps[event.step];
  const forward = event.phase === 'execute';
  const fence = event.phase === 'fence';
  const awaiting = fence
    ? st.status === STEP_STATUS.resolving
    : forward
      ? s.status === 'running' && st.status === STEP_STATUS.running
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
      if (fence) run.outcomeResolved(step, event.outcome, event.data);
      else if (forward) {
        if (event.outcome === 'success') run.forwardSucceeded(step, event.data);
        else if (event.outcome === 'failure')
          run.stepRefused(step, errorOf(event.data, 'FAILURE', step.name));
        else run.forwardAttemptFailed(step, errorOf(event.data, 'ERROR', step.name), false);
      } else if (event.outcome === 'success') run.compensationSucceeded(step);
      // a compensation must not be refused: a business "no" here needs an operator
      else if (event.outcome === 'failure')
        run.compensationFailed(step, errorOf(event.data, 'FAILURE', step.name));
      else run.compensationAttemptFailed(step, errorOf(event.data, 'ERROR', step.name), false);
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
      if (fence) run.fenceAttemptFailed(step, cause);
      else if (forward) run.forwardAttemptFailed(step, cause, true);
      else run.compensationAttemptFailed(step, cause, true);
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
      if (fence) run.askFence(step, event.attempt);
      else if (forward) run.resend(step, event.attempt);
      else {
        run.sendCompensation(step, event.attempt);
        run.continueCompensation();
      }
      return undefined;
    }
  }
}
