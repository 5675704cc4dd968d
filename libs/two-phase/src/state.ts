// The 2PC transaction's state: its statuses and their transition table, what is kept per
// participant, and the events' results. Types and one guard; the protocol is in coordinator.ts.
import type { TwoPhaseDecision, TwoPhasePhase } from '@skald/protocol';
import { IllegalTransitionError } from '@skald/saga';

export type { TwoPhaseDecision, TwoPhasePhase };

export const TRANSACTION_STATUS = {
  preparing: 'preparing',
  committing: 'committing',
  committed: 'committed',
  aborting: 'aborting',
  aborted: 'aborted',
  /**
   * The decision was re-sent for `acknowledgeTimeoutMs` and some participant never acknowledged
   * it: the coordinator stops. The decision stands (see `decision`); an operator checks the
   * participants that did not acknowledge and resolves the transaction (→ committed / aborted).
   */
  unacknowledged: 'unacknowledged',
} as const;
export type TransactionStatus = (typeof TRANSACTION_STATUS)[keyof typeof TRANSACTION_STATUS];

/**
 * Every legal status change. Leaving `preparing` is the decision: it happens once, either way.
 * `unacknowledged` leaves only for the status of its decision (a late acknowledgement, or an
 * operator's resolution), which `resolve` and `finishIfAcknowledged` check.
 */
export const VALID_TRANSACTION_TRANSITIONS: Readonly<
  Record<TransactionStatus, readonly TransactionStatus[]>
> = {
  preparing: ['committing', 'aborting'],
  committing: ['committed', 'unacknowledged'],
  aborting: ['aborted', 'unacknowledged'],
  unacknowledged: ['committed', 'aborted'],
  committed: [],
  aborted: [],
};

/** The coordinator sends nothing more for a transaction in one of these. */
export const TERMINAL_TRANSACTION_STATUSES: readonly TransactionStatus[] = [
  'committed',
  'aborted',
  'unacknowledged',
];

export const VOTES = { yes: 'yes', no: 'no' } as const;
export type Vote = (typeof VOTES)[keyof typeof VOTES];

/** Why a transaction aborted, or what a participant answered when it could not vote or apply. */
export interface TwoPhaseError {
  code: string;
  message: string;
  participant?: string;
}

/** An operator's resolution of a transaction, kept with it. */
export interface TransactionResolution {
  outcome: TwoPhaseDecision;
  reason: string;
  /** The API key's name it was made with (`anonymous` without keys); absent on older rows. */
  actor?: string;
  /** Epoch ms. */
  at: number;
  /** The participants that had not acknowledged the decision when the operator resolved it. */
  unacknowledged: string[];
}

export interface TransactionParticipant {
  participant: string;
  command: string;
  payload: unknown;
  vote: Vote | null;
  /** The participant confirmed it applied the decision (or, voting NO, holds nothing to undo). */
  acknowledged: boolean;
  /** The last failure or error it answered, if any. */
  error: TwoPhaseError | null;
  /**
   * `ce_attempt` of the last message of the current phase sent to it: 0 before the first; the
   * decision starts again from 0. Absent in transactions logged before it was kept (read as 0).
   */
  attempt?: number;
}

export interface TransactionState {
  id: string;
  status: TransactionStatus;
  participants: TransactionParticipant[];
  /** Set once, when the status leaves `preparing`: the decision log. */
  decision: TwoPhaseDecision | null;
  reason: TwoPhaseError | null;
  timeoutMs: number;
  /** Epoch ms: no decision by then → abort. */
  prepareDeadlineAt: number;
  /** Messages sent so far, to every participant in every phase (not a `ce_attempt`). */
  round: number;
  /** Epoch ms, set with the decision: unacknowledged by then → `unacknowledged`. */
  acknowledgeDeadlineAt: number | null;
  /** Timer-driven re-sends of the decision so far: the backoff's attempt count. */
  resends: number;
  /** Set when an operator resolved the transaction by hand. */
  resolution: TransactionResolution | null;
}

/** A message for the participant at `index`; the SDK names the operation (transaction id, `step`). */
export interface OutgoingMessage {
  index: number;
  step: string;
  participant: string;
  command: string;
  phase: TwoPhasePhase;
  attempt: number;
  payload: unknown;
}

export interface Outcome {
  state: TransactionState;
  messages: OutgoingMessage[];
  /** When the coordinator must look again (resend, prepare timeout); null when done. */
  dueAt: number | null;
  /** Set when the event changed nothing; says why. */
  ignored?: string;
}

export interface CoordinatorTimings {
  /** Unanswered prepares are re-sent this often; an unacknowledged decision first after this. */
  resendMs: number;
  /** Re-sends of a decision back off (doubling, full jitter, never under resendMs) up to this. */
  resendMaxMs: number;
  /** How long after the decision it is re-sent; then the transaction is `unacknowledged`. */
  acknowledgeTimeoutMs: number;
  /** Jitter source, [0, 1): Math.random in the orchestrator, fixed in tests. */
  random: () => number;
}

export interface TransactionRequest {
  id: string;
  participants: { participant: string; command: string; payload: unknown }[];
  timeoutMs: number;
}

/** A participant's answer on the wire (the protocol's `Outcome`; here `Outcome` is a coordinator step's result). */
export type { Outcome as ReplyOutcome } from '@skald/protocol';

/** The step name (`ce_sagastep`) of the participant at `index`: its position, stable for the transaction. */
export const stepOf = (index: number): string => String(index);

/** Moves the status through the transition table; throws IllegalTransitionError otherwise. */
export function transition(state: TransactionState, to: TransactionStatus): TransactionState {
  if (!VALID_TRANSACTION_TRANSITIONS[state.status].includes(to)) {
    throw new IllegalTransitionError(
      `transaction ${state.id} cannot go from ${state.status} to ${to}`,
    );
  }
  return { ...state, status: to };
}
