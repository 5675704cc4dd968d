// The 2PC coordinator as pure functions: (state, event, now) → new state, commands to send, next
// timer. No I/O and no clock: the orchestrator persists each result in ONE transaction with the
// outbox rows, so a decision is durable before any participant can hear it.
import { backoffDelayMs, type BackoffPolicy } from '@skald/protocol';
import { IllegalTransitionError } from '@skald/saga';
import {
  stepOf,
  TERMINAL_TRANSACTION_STATUSES,
  transition,
  type CoordinatorTimings,
  type OutgoingMessage,
  type Outcome,
  type ReplyOutcome,
  type TransactionParticipant,
  type TransactionRequest,
  type TransactionState,
  type TransactionStatus,
  type TwoPhaseError,
  type TwoPhaseDecision,
  type TwoPhasePhase,
} from './state';
/**
 * The `phase` message to each participant at `indexes`. `ce_attempt` counts per participant and
 * phase (docs/protocol.md): 1 for its first prepare, +1 for each re-send; the decision starts again
 * at 1. `round` counts every message of the transaction.
 */
function send(
  state: TransactionState,
  phase: TwoPhasePhase,
  indexes: number[],
): { state: TransactionState; messages: OutgoingMessage[] } {
  const participants = [...state.participants];
  const messages = indexes.map((index) => {
    const p = participants[index];
    // absent in transactions logged before ce_attempt counted per participant: start there
    const attempt = (p.attempt ?? 0) + 1;
    participants[index] = { ...p, attempt };
    return {
      index,
      step: stepOf(index),
      participant: p.participant,
      command: p.command,
      phase,
      attempt,
      payload: p.payload,
    };
  });
  return {
    state: { ...state, participants, round: state.round + messages.length },
    messages,
  };
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
      attempt: 0,
    })),
    decision: null,
    reason: null,
    timeoutMs: request.timeoutMs,
    prepareDeadlineAt: now + request.timeoutMs,
    round: 0,
    acknowledgeDeadlineAt: null,
    resends: 0,
    resolution: null,
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
  decision: TwoPhaseDecision,
  reason: TwoPhaseError | null,
  now: number,
  t: CoordinatorTimings,
): Outcome {
  let next = transition(state, decision === 'commit' ? 'committing' : 'aborting');
  const acknowledgeDeadlineAt = now + t.acknowledgeTimeoutMs;
  next = {
    ...next,
    decision,
    reason,
    acknowledgeDeadlineAt,
    resends: 0,
    // a NO voter rolled back its own work and holds nothing: it needs no abort. The decision is
    // a new message to each: its attempts count from 1
    participants: next.participants.map((p) => ({
      ...p,
      attempt: 0,
      ...(p.vote === 'no' ? { acknowledged: true } : {}),
    })),
  };
  const sent = send(
    next,
    decision,
    pending(next, (p) => !p.acknowledged),
  );
  return finishIfAcknowledged({
    ...sent,
    dueAt: Math.min(now + t.resendMs, acknowledgeDeadlineAt),
  });
}

/** The status a decided transaction ends in once its decision is known to be applied everywhere. */
const finalStatus = (decision: TwoPhaseDecision): TransactionStatus =>
  decision === 'commit' ? 'committed' : 'aborted';

function finishIfAcknowledged(outcome: Outcome): Outcome {
  const { state } = outcome;
  if (state.decision === null || state.participants.some((p) => !p.acknowledged)) return outcome;
  if (state.status === finalStatus(state.decision)) return outcome;
  return { ...outcome, state: transition(state, finalStatus(state.decision)), dueAt: null };
}

const unacknowledgedBy = (state: TransactionState): string[] =>
  state.participants.filter((p) => !p.acknowledged).map((p) => p.participant);

/** How long to wait before the re-send after `resends` of them: backing off, never under resendMs. */
function resendDelayMs(resends: number, t: CoordinatorTimings): number {
  const policy: BackoffPolicy = {
    backoff: 'exponential',
    initialMs: t.resendMs,
    maxMs: Math.max(t.resendMs, t.resendMaxMs),
    jitter: 'full',
  };
  return Math.max(t.resendMs, backoffDelayMs(policy, resends, t.random));
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
  // a transaction decided before acknowledgeDeadlineAt existed gets the deadline from now
  const deadline = state.acknowledgeDeadlineAt ?? now + t.acknowledgeTimeoutMs;
  if (now >= deadline) {
    return {
      state: { ...transition(state, 'unacknowledged'), acknowledgeDeadlineAt: deadline },
      messages: [],
      dueAt: null,
    };
  }
  const resends = state.resends + 1;
  const sent = send(
    { ...state, acknowledgeDeadlineAt: deadline, resends },
    state.decision!,
    pending(state, (p) => !p.acknowledged),
  );
  return { ...sent, dueAt: Math.min(now + resendDelayMs(resends, t), deadline) };
}

/**
 * An operator resolves a transaction by hand, with a reason kept on it. Legal:
 * - `abort` of a `preparing` transaction: the operator takes the abort decision (aborts go out);
 * - the transaction's own decision, while it is `committing`, `aborting` or `unacknowledged`: the
 *   operator vouches that the participants that did not acknowledge applied it (or will, by
 *   asking the coordinator); nothing more is sent and it ends `committed` / `aborted`.
 * Anything else — contradicting a logged decision, committing an undecided transaction,
 * resolving a finished one — throws IllegalTransitionError.
 */
export function resolve(
  state: TransactionState,
  request: { outcome: TwoPhaseDecision; reason: string; actor?: string },
  now: number,
  t: CoordinatorTimings,
): Outcome {
  const { outcome, reason, actor } = request;
  const resolution = {
    outcome,
    reason,
    ...(actor === undefined ? {} : { actor }),
    at: now,
    unacknowledged: unacknowledgedBy(state),
  };
  if (state.status === 'committed' || state.status === 'aborted') {
    throw new IllegalTransitionError(
      `transaction ${state.id} is already ${state.status}: there is nothing to resolve`,
    );
  }
  if (state.decision === null) {
    if (outcome === 'commit') {
      throw new IllegalTransitionError(
        `transaction ${state.id} is undecided (preparing): only YES votes from every participant can commit it; resolve it with outcome "abort", or let its prepare timeout abort it`,
      );
    }
    return decide(
      { ...state, resolution },
      'abort',
      { code: 'RESOLVED_BY_OPERATOR', message: `aborted by an operator: ${reason}` },
      now,
      t,
    );
  }
  if (outcome !== state.decision) {
    throw new IllegalTransitionError(
      `transaction ${state.id} was decided "${state.decision}"; a logged decision is never changed, so it can only be resolved with outcome "${state.decision}"`,
    );
  }
  return {
    state: { ...transition(state, finalStatus(state.decision)), resolution },
    messages: [],
    dueAt: null,
  };
}
