// The 2PC coordinator as pure functions: (state, event, now) → new state, commands to send, next
// timer. No I/O and no clock: the orchestrator persists each result in ONE transaction with the
// outbox rows, so a decision is durable before any participant can hear it.
import { IllegalTransitionError } from '@skald/saga';

export const TRANSACTION_STATUS = {
  preparing: 'preparing',
  committing: 'committing',
  committed: 'committed',
  aborting: 'aborting',
  aborted: 'aborted',
} as const;
export type TransactionStatus = (typeof TRANSACTION_STATUS)[keyof typeof TRANSACTION_STATUS];

/** Every legal status change. Leaving `preparing` is the decision: it happens once, either way. */
export const VALID_TRANSACTION_TRANSITIONS: Readonly<
  Record<TransactionStatus, readonly TransactionStatus[]>
> = {
  preparing: ['committing', 'aborting'],
  committing: ['committed'],
  aborting: ['aborted'],
  committed: [],
  aborted: [],
};

export const TERMINAL_TRANSACTION_STATUSES: readonly TransactionStatus[] = ['committed', 'aborted'];

export const VOTES = { yes: 'yes', no: 'no' } as const;
export type Vote = (typeof VOTES)[keyof typeof VOTES];

export type Decision = 'commit' | 'abort';
export type TwoPhasePhase = 'prepare' | 'commit' | 'abort';

/** Why a transaction aborted, or what a participant answered when it could not vote or apply. */
export interface TwoPhaseError {
  code: string;
  message: string;
  participant?: string;
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
}

export interface TransactionState {
  id: string;
  status: TransactionStatus;
  participants: TransactionParticipant[];
  /** Set once, when the status leaves `preparing`: the decision log. */
  decision: Decision | null;
  reason: TwoPhaseError | null;
  timeoutMs: number;
  /** Epoch ms: no decision by then → abort. */
  prepareDeadlineAt: number;
  /** Messages sent so far; each send carries the next number as its attempt. */
  round: number;
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
  /** Unanswered prepares and unacknowledged decisions are re-sent this often. */
  resendMs: number;
}

export interface TransactionRequest {
  id: string;
  participants: { participant: string; command: string; payload: unknown }[];
  timeoutMs: number;
}

export type ReplyOutcome = 'success' | 'failure' | 'error';

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

function send(
  state: TransactionState,
  phase: TwoPhasePhase,
  indexes: number[],
): { state: TransactionState; messages: OutgoingMessage[] } {
  let round = state.round;
  const messages = indexes.map((index) => {
    const p = state.participants[index];
    return {
      index,
      step: stepOf(index),
      participant: p.participant,
      command: p.command,
      phase,
      attempt: ++round,
      payload: p.payload,
    };
  });
  return { state: { ...state, round }, messages };
}

const pending = (state: TransactionState, test: (p: TransactionParticipant) => boolean) =>
  state.participants.flatMap((p, i) => (test(p) ? [i] : []));

/** A new transaction: `preparing`, a prepare to every participant. */
export function begin(request: TransactionRequest, now: number, t: CoordinatorTimings): Outcome {
  const state: TransactionState = {
    id: request.id,
    status: 'preparing',
    participants: request.participants.map((p) => ({
      ...p,
      vote: null,
      acknowledged: false,
      error: null,
    })),
    decision: null,
    reason: null,
    timeoutMs: request.timeoutMs,
    prepareDeadlineAt: now + request.timeoutMs,
    round: 0,
  };
  const sent = send(
    state,
    'prepare',
    state.participants.map((_, i) => i),
  );
  return { ...sent, dueAt: Math.min(now + t.resendMs, state.prepareDeadlineAt) };
}

/** Logs the decision (the status change IS the log entry) and sends it to whoever must hear it. */
function decide(
  state: TransactionState,
  decision: Decision,
  reason: TwoPhaseError | null,
  now: number,
  t: CoordinatorTimings,
): Outcome {
  let next = transition(state, decision === 'commit' ? 'committing' : 'aborting');
  next = {
    ...next,
    decision,
    reason,
    // a NO voter rolled back its own work and holds nothing: it needs no abort
    participants: next.participants.map((p) =>
      p.vote === 'no' ? { ...p, acknowledged: true } : p,
    ),
  };
  const sent = send(
    next,
    decision,
    pending(next, (p) => !p.acknowledged),
  );
  return finishIfAcknowledged({ ...sent, dueAt: now + t.resendMs });
}

function finishIfAcknowledged(outcome: Outcome): Outcome {
  const { state } = outcome;
  if (state.status === 'preparing' || state.participants.some((p) => !p.acknowledged))
    return outcome;
  if (state.status === 'committing' || state.status === 'aborting') {
    return {
      ...outcome,
      state: transition(state, state.status === 'committing' ? 'committed' : 'aborted'),
      dueAt: null,
    };
  }
  return outcome;
}

const ignore = (state: TransactionState, dueAt: number | null, why: string): Outcome => ({
  state,
  messages: [],
  dueAt,
  ignored: why,
});

function asError(data: unknown, participant: string): TwoPhaseError {
  const body = (data ?? {}) as { code?: unknown; message?: unknown };
  return {
    code: typeof body.code === 'string' ? body.code : 'UNKNOWN',
    message: typeof body.message === 'string' ? body.message : 'no message',
    participant,
  };
}

/**
 * A participant's reply to a message of `phase`. Prepare: `success` is a YES vote, `failure` a NO
 * (→ abort), `error` is transient and no vote (the prepare is re-sent until the timeout). Commit /
 * abort: `success` acknowledges; anything else is recorded and the decision re-sent.
 * `dueAt` is the transaction's current timer, kept when nothing changes it.
 */
export function onReply(
  state: TransactionState,
  reply: { index: number; phase: TwoPhasePhase; outcome: ReplyOutcome; data: unknown },
  dueAt: number | null,
  now: number,
  t: CoordinatorTimings,
): Outcome {
  const p = state.participants[reply.index];
  if (!p) return ignore(state, dueAt, `no participant ${reply.index}`);
  const withParticipant = (changes: Partial<TransactionParticipant>): TransactionState => ({
    ...state,
    participants: state.participants.map((q, i) => (i === reply.index ? { ...q, ...changes } : q)),
  });

  if (reply.phase === 'prepare') {
    if (state.status !== 'preparing')
      return ignore(state, dueAt, `vote after the ${state.decision} decision`);
    if (p.vote !== null) return ignore(state, dueAt, `participant ${reply.index} already voted`);
    if (reply.outcome === 'error') {
      return {
        state: withParticipant({ error: asError(reply.data, p.participant) }),
        messages: [],
        dueAt,
      };
    }
    if (reply.outcome === 'failure') {
      const error = asError(reply.data, p.participant);
      const voted = withParticipant({ vote: 'no', error });
      return decide(
        voted,
        'abort',
        { ...error, message: `${p.participant} voted NO: ${error.message}` },
        now,
        t,
      );
    }
    const voted = withParticipant({ vote: 'yes', error: null });
    if (voted.participants.every((q) => q.vote === 'yes'))
      return decide(voted, 'commit', null, now, t);
    return { state: voted, messages: [], dueAt };
  }

  if (state.decision !== reply.phase)
    return ignore(
      state,
      dueAt,
      `${reply.phase} reply, but the decision is ${state.decision ?? 'not made'}`,
    );
  if (p.acknowledged)
    return ignore(state, dueAt, `participant ${reply.index} already acknowledged`);
  if (reply.outcome !== 'success') {
    return {
      state: withParticipant({ error: asError(reply.data, p.participant) }),
      messages: [],
      dueAt,
    };
  }
  return finishIfAcknowledged({
    state: withParticipant({ acknowledged: true, error: null }),
    messages: [],
    dueAt,
  });
}

/** The transaction's timer: prepare timeout → abort; else re-send what is still unanswered. */
export function onTimer(state: TransactionState, now: number, t: CoordinatorTimings): Outcome {
  if (TERMINAL_TRANSACTION_STATUSES.includes(state.status)) return ignore(state, null, 'finished');
  if (state.status === 'preparing') {
    if (now >= state.prepareDeadlineAt) {
      const silent = pending(state, (p) => p.vote === null).map(
        (i) => state.participants[i].participant,
      );
      return decide(
        state,
        'abort',
        {
          code: 'PREPARE_TIMEOUT',
          message: `no decision within ${state.timeoutMs} ms; not voted: ${silent.join(', ')}`,
        },
        now,
        t,
      );
    }
    const sent = send(
      state,
      'prepare',
      pending(state, (p) => p.vote === null),
    );
    return { ...sent, dueAt: Math.min(now + t.resendMs, state.prepareDeadlineAt) };
  }
  const sent = send(
    state,
    state.decision!,
    pending(state, (p) => !p.acknowledged),
  );
  return { ...sent, dueAt: now + t.resendMs };
}
