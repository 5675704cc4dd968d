// The saga model shared by the DSL, the pure decide() function and the engine that persists it.
// No NestJS, no I/O, no clocks or randomness here: time and ids come in through DecideContext.
import type { Outcome, SagaPhase } from '@skald/protocol';

export type { SagaPhase };

/**
 * Status of a saga instance. Terminal: completed, compensated, failed. `paused` is not terminal:
 * the saga waits for an operator (resume, cancel, or skip its paused step) and holds its timers.
 */
export const SAGA_STATUS = {
  running: 'running',
  paused: 'paused',
  compensating: 'compensating',
  completed: 'completed',
  compensated: 'compensated',
  failed: 'failed',
} as const;
export type SagaStatus = (typeof SAGA_STATUS)[keyof typeof SAGA_STATUS];
/**
 * Why a saga that is not finished waits on an operator rather than on its participants: `paused`
 * (resume, cancel or skip the step) or `definition-missing` (its type and version are no longer
 * registered).
 */
export const SAGA_WAIT_REASONS = ['paused', 'definition-missing'] as const;
export type SagaWaitReason = (typeof SAGA_WAIT_REASONS)[number];
export const TERMINAL_SAGA_STATUSES: readonly SagaStatus[] = ['completed', 'compensated', 'failed'];

/** Status of one step of one saga instance. */
export const STEP_STATUS = {
  /** Not reached yet. */
  pending: 'pending',
  /** Its `when` predicate was false when its stage was entered. */
  skipped: 'skipped',
  /** A forward command is in flight (awaiting reply or timeout). */
  running: 'running',
  /** The last forward attempt ended in `error` or a timeout; a backoff timer will send the next. */
  retrying: 'retrying',
  /**
   * Its forward retries ran out and its policy is `onExhausted: 'pause'`: the saga is paused until
   * an operator resumes it (the step runs again from attempt 1), cancels it or skips the step.
   */
  paused: 'paused',
  succeeded: 'succeeded',
  /** Forward step failed for good with no effect at the participant (business refusal or errors only). */
  failed: 'failed',
  /** Forward step failed for good after its last attempt timed out: outcome unknown, so it is compensated. */
  timedOut: 'timed_out',
  /**
   * Its last attempt timed out and it has no compensation: a fence asks its participant whether
   * it ran (then it succeeded) or not (then it never will), before the saga moves on.
   */
  resolving: 'resolving',
  /** Forward work was cancelled before any command was sent (nothing to undo). */
  cancelled: 'cancelled',
  /** A compensation command is in flight. */
  compensating: 'compensating',
  /** The last compensation attempt ended in `error` or a timeout; a backoff timer will send the next. */
  compensationRetrying: 'compensation_retrying',
  compensated: 'compensated',
  /** Compensation exhausted its policy (or was refused): the saga is `failed` until an operator acts. */
  compensationFailed: 'compensation_failed',
  /** An operator skipped this compensation, with a reason. */
  compensationSkipped: 'compensation_skipped',
} as const;
export type StepStatus = (typeof STEP_STATUS)[keyof typeof STEP_STATUS];

/** @deprecated The wire's `Outcome` of `@skald/protocol`, under its former name. */
export type ReplyOutcome = Outcome;

/** An error recorded on a saga or a step, JSON-serialisable. */
export interface RecordedError {
  /** Stable machine-readable code, e.g. `CAR_UNAVAILABLE`, `RETRIES_EXHAUSTED`, `STEP_TIMEOUT`. */
  code: string;
  message: string;
  step?: string;
  details?: unknown;
}

/** Per-step state of one saga instance. JSON-serialisable (persisted as jsonb). */
export interface StepState {
  status: StepStatus;
  /** Forward attempts sent so far (the `ce_attempt` of the last forward command). */
  attempts: number;
  /** Compensation attempts sent so far (for a step without one: attempts of its fence). */
  compensationAttempts: number;
  /** `ce_id` of the command currently awaited (forward or compensation); replies to others are stale. */
  commandId?: string;
  /** True while the participant may have done the work but we do not know (an attempt timed out). */
  outcomeUnknown?: boolean;
  /** The participant refused it (a `failure` reply): it did nothing, and says so to any later attempt. */
  refused?: boolean;
  /** Participant the forward command went to; its compensation must go there too. */
  participant?: string;
  /** Operator runs of the step (`ce_steprun`): absent means 1; each operator retry starts the next. */
  run?: number;
  /** A fence was sent: the participant will never run the step from now on. */
  fenced?: boolean;
  /** ms since epoch */
  startedAt?: number;
  /** ms since epoch */
  endedAt?: number;
  error?: RecordedError;
  /** Set when an operator skipped the compensation, or (status `skipped`) the paused step itself. */
  skipReason?: string;
}

/** Everything decide() needs to know about a saga instance. JSON-serialisable. */
export interface SagaState<I = unknown, D = Record<string, unknown>> {
  id: string;
  type: string;
  version: number;
  status: SagaStatus;
  input: I;
  data: D;
  /** Index of the forward stage being executed (or, while compensating, the stage being compensated). */
  stage: number;
  /** One entry per step name of the definition. */
  steps: Record<string, StepState>;
  error?: RecordedError;
  /** ms since epoch, when the saga's deadline passes (if its definition has one). */
  deadlineAt?: number;
}

/** What the engine feeds into decide(). */
export type SagaEvent =
  | { kind: 'start' }
  | {
      kind: 'reply';
      step: string;
      phase: SagaPhase;
      /** The command's `ce_id` this reply correlates to. */
      commandId: string;
      outcome: Outcome;
      /** success: the result object; failure/error: `{ code, message, details? }`. */
      data: unknown;
    }
  /** A backoff timer fired: send attempt `attempt` of `phase` for `step`. */
  | { kind: 'retry-due'; step: string; phase: SagaPhase; attempt: number }
  /** No reply to attempt `attempt` of `phase` for `step` within the step's timeout. */
  | { kind: 'step-timeout'; step: string; phase: SagaPhase; attempt: number }
  | { kind: 'deadline' }
  | ({ kind: 'cancel'; reason?: string } & OperatorAudit)
  /** Operator: resume a `failed` saga (retry its failed compensations, or its failed step after the pivot). */
  | ({ kind: 'resume' } & OperatorAudit)
  /** Operator: treat a failed compensation as done, with a reason. */
  | { kind: 'skip-compensation'; step: string; reason: string; actor?: string }
  /** Operator: hold a running saga where it is (replies still apply; it does not move on). */
  | ({
      kind: 'pause';
      reason: string;
      /** Set when the operator paused every saga waiting on this participant. */
      participant?: string;
    } & OperatorAudit)
  /** Operator: resume a `paused` saga; its paused steps run again from attempt 1. */
  | ({ kind: 'unpause' } & OperatorAudit)
  /** Operator: skip a paused step whose definition allows it (`skippable`), and resume the saga. */
  | ({ kind: 'skip-step'; step: string; reason: string } & OperatorAudit);

/** Who asked for an operator action, recorded in the history entry it writes. */
export interface OperatorAudit {
  /** The name of the API key used. */
  actor?: string;
  /** The bulk job (POST /v1/sagas/bulk) that acted on this saga. */
  bulkJobId?: string;
}

/** A command decide() wants sent; the engine writes it to the outbox in the same transaction. */
export interface OutgoingCommand {
  /** `ce_id`: a new id per attempt, from DecideContext.newId(). */
  id: string;
  participant: string;
  /** `ce_type`, e.g. `reserve`. */
  command: string;
  phase: SagaPhase;
  step: string;
  attempt: number;
  /** `ce_steprun`: which operator run of the step this attempt belongs to. */
  run: number;
  payload: unknown;
}

/** A durable timer decide() wants; the engine stores it and feeds the matching event back when due. */
export type TimerRequest =
  | { kind: 'retry'; step: string; phase: SagaPhase; attempt: number; dueAt: number }
  | {
      kind: 'step-timeout';
      step: string;
      phase: SagaPhase;
      attempt: number;
      dueAt: number;
      /** Set on a step timeout: the `ce_id` of the command whose answer it waits for. */
      commandId?: string;
    }
  | { kind: 'deadline'; dueAt: number };

/** One line of the append-only history (GET /v1/sagas/:id/history). */
export interface HistoryEntry {
  type:
    | 'saga-started'
    | 'status-changed'
    | 'step-started'
    | 'step-skipped'
    | 'command-sent'
    | 'reply-applied'
    | 'retry-scheduled'
    | 'step-timed-out'
    | 'step-fenced'
    /** The fence's reply said the step had run before it arrived: its effect remains. */
    | 'fence-found-effect'
    | 'outcome-resolved'
    | 'step-succeeded'
    | 'step-failed'
    | 'compensation-started'
    | 'compensation-succeeded'
    | 'compensation-failed'
    | 'compensation-skipped'
    | 'cancel-requested'
    | 'deadline-passed'
    /**
     * The saga was paused: by an operator (`reason`, `actor`, `participant` when all sagas waiting
     * on one were), or by a step's exhausted retries (`step`, `participant`, `error`).
     */
    | 'paused'
    | 'resumed';
  step?: string;
  details?: Record<string, unknown>;
}

/** Result of applying one event. When `ignored` is set, nothing else changed and nothing is persisted but a count. */
export interface SagaDecision<I = unknown, D = Record<string, unknown>> {
  state: SagaState<I, D>;
  commands: OutgoingCommand[];
  timers: TimerRequest[];
  history: HistoryEntry[];
  /** Why the event did not apply (stale attempt, reply not awaited, saga terminal, ...). */
  ignored?: string;
}

/** @deprecated The former name of {@link SagaDecision}. */
export type Decision<I = unknown, D = Record<string, unknown>> = SagaDecision<I, D>;

/** Time, ids and randomness, supplied by the caller so decide() stays pure and replayable. */
export interface DecideContext {
  /** ms since epoch */
  now: number;
  newId: () => string;
  /** uniform in [0, 1), used for backoff jitter */
  random: () => number;
}
