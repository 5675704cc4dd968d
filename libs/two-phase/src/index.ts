/**
 * Two-phase commit (docs/guarantees.md, guarantee 8), the coordinator's protocol as pure functions: a
 * transaction's state, the transition table of its status, and what to send after each event.
 * No NestJS, no I/O, no clock: the orchestrator's `two-phase/` module persists every outcome in one
 * PostgreSQL transaction together with its outbox rows.
 *
 * @example
 * import { begin, onReply, onTimer } from '@skald/two-phase';
 * const t = { resendMs: 2_000, resendMaxMs: 60_000, acknowledgeTimeoutMs: 3_600_000, random: Math.random };
 * let o = begin({ id, timeoutMs: 30_000, participants: [
 *   { participant: 'bank-a', command: 'debit', payload: { amount: 10 } },
 *   { participant: 'bank-b', command: 'credit', payload: { amount: 10 } }] }, Date.now(), t);
 * // o.messages: a prepare to each; then, per vote:
 * o = onReply(o.state, { index: 0, phase: 'prepare', outcome: 'success', data: {} }, o.dueAt, Date.now(), t);
 * o = onReply(o.state, { index: 1, phase: 'prepare', outcome: 'success', data: {} }, o.dueAt, Date.now(), t);
 * // o.state.status === 'committing', o.messages: a commit to each
 * // unacknowledged for acknowledgeTimeoutMs: onTimer → status 'unacknowledged', decision kept;
 * // an operator then resolve(o.state, { outcome: 'commit', reason }, Date.now(), t) → 'committed'
 */
export { isTwoPhaseCommandId, toTwoPhaseCommandId } from './command-id';
export { begin, onReply, onTimer, resolve } from './coordinator';
export {
  stepOf,
  transition,
  TERMINAL_TRANSACTION_STATUSES,
  TRANSACTION_STATUS,
  VALID_TRANSACTION_TRANSITIONS,
  VOTES,
  type CoordinatorTimings,
  type Outcome,
  type OutgoingMessage,
  type ReplyOutcome,
  type TransactionParticipant,
  type TransactionRequest,
  type TransactionResolution,
  type TransactionState,
  type TransactionStatus,
  type TwoPhaseDecision,
  type TwoPhaseError,
  type TwoPhasePhase,
  type Vote,
} from './state';
export { TransactionNotFoundError } from './errors';
