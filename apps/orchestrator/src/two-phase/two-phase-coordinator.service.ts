// The 2PC coordinator: lock the transaction row → the pure protocol step (@skald/two-phase) →
// write state + messages (outbox) in ONE transaction. Never touches kafkajs; the relay publishes.
// ⚠ The decision (status committing/aborting) commits in the same transaction as its messages and
// before them: a participant can only hear a decision that is already durable (guarantee 8).
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ReplyEnvelope } from '@skald/protocol';
import {
  TwoPhaseStore,
  type Page,
  type TransactionListFilter,
  type TwoPhaseRecord,
  type TwoPhaseTransaction,
  type TwoPhaseView,
} from '@skald/persistence';
import {
  begin,
  onReply,
  onTimer,
  resolve,
  toTwoPhaseCommandId,
  TERMINAL_TRANSACTION_STATUSES,
  TransactionNotFoundError,
  type CoordinatorTimings,
  type Outcome,
  type TransactionState,
  type TransactionStatus,
  type TwoPhaseDecision,
  type TwoPhasePhase,
} from '@skald/two-phase';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { IdempotencyConflictError } from '../engine/errors';
import { COMMAND_SOURCES, commandRecord } from '../engine/command-records';
import { OutboxSignal } from '../sending/outbox-signal';
import { stableHash } from '../engine/stable-hash';
import { NO_FAULTS, ORCHESTRATOR_FAULTS, type OrchestratorFaults } from '../faults/fault-points';
import type { ReplyResult, UnsignedRefusal } from '../engine/reply-batch';
import { SkaldMetrics } from '../metrics/metrics.module';
import {
  endingSpans,
  startTransactionSpan,
  startTwoPhaseSpan,
  traceParentOf,
} from '../tracing/spans';

export interface BeginTransactionRequest {
  participants: { participant: string; command: string; payload: unknown }[];
  timeoutMs?: number;
  idempotencyKey?: string;
  /** The caller's W3C `traceparent`: the transaction's trace continues it. */
  traceParent?: string;
}

function unacknowledgedMessage(state: TransactionState, timeoutMs: number): string {
  const silent = state.participants.filter((p) => !p.acknowledged).map((p) => p.participant);
  return (
    `transaction ${state.id} is unacknowledged: its ${state.decision} decision was re-sent for ${timeoutMs} ms ` +
    `and never acknowledged by ${silent.join(', ')}; check them, then POST /v1/transactions/${state.id}/resolve`
  );
}

@Injectable()
export class TwoPhaseCoordinator {
  private readonly logger = new Logger(TwoPhaseCoordinator.name);
  private readonly timings: CoordinatorTimings;

  constructor(
    private readonly store: TwoPhaseStore,
    private readonly outbox: OutboxSignal,
    private readonly metrics: SkaldMetrics,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
    @Inject(ORCHESTRATOR_FAULTS) private readonly faults: OrchestratorFaults = NO_FAULTS,
  ) {
    this.timings = {
      resendMs: config.twoPhaseResendMs,
      resendMaxMs: config.twoPhaseResendMaxMs,
      acknowledgeTimeoutMs: config.twoPhaseAckTimeoutMs,
      random: Math.random,
    };
  }

  /**
   * Creates a transaction and queues a prepare to each participant, in one database transaction.
   * With an idempotency key, the same request returns the transaction it created (`created: false`).
   */
  async begin(request: BeginTransactionRequest): Promise<{ id: string; created: boolean }> {
    const now = Date.now();
    const timeoutMs = request.timeoutMs ?? this.config.twoPhaseTimeoutMs;
    const requestHash = stableHash({ participants: request.participants, timeoutMs });
    const outcome = begin(
      { id: randomUUID(), participants: request.participants, timeoutMs },
      now,
      this.timings,
    );
    const span = startTransactionSpan(outcome.state.id, request.traceParent);
    const keys = {
      idempotencyKey: request.idempotencyKey ?? null,
      requestHash,
      traceParent: traceParentOf(span) ?? null,
    };
    const result = await endingSpans([span], () =>
      this.store.transaction(async (tx) => {
        const record = { ...outcome.state, dueAt: outcome.dueAt, ...keys };
        if (!(await tx.insert(record, now))) {
          const existing = (await tx.findByIdempotencyKey(request.idempotencyKey!))!;
          if (existing.requestHash !== requestHash)
            throw new IdempotencyConflictError(request.idempotencyKey!, existing.id, 'transaction');
          return { id: existing.id, created: false };
        }
        await this.queue(tx, outcome, keys.traceParent, now);
        return { id: record.id, created: true };
      }),
    );
    if (result.created) {
      this.metrics.transactions.inc({ event: 'started' });
      this.faults.at('twopc:created');
      this.outbox.signal();
    }
    return result;
  }

  /**
   * Applies a reply to a 2PC message. Idempotent by state: a vote counts once, an ack once. A
   * reply `refuseUnsigned` picks for its participant changes nothing (result `unsigned`).
   */
  async handleReply(reply: ReplyEnvelope, refuseUnsigned?: UnsignedRefusal): Promise<ReplyResult> {
    const now = Date.now();
    const result = await this.store.transaction(async (tx) => {
      const command = await tx.findCommand(reply.correlationId);
      if (!command) return { result: 'unknown-correlation' as const };
      if (command.transactionId !== reply.sagaId) return { result: 'saga-mismatch' as const };
      const current = (await tx.lock(command.transactionId))!;
      if (refuseUnsigned?.(reply, current.participants[command.index].participant))
        return { result: 'unsigned' as const };
      this.faults.at('twopc:reply-locked', {
        phase: command.phase as TwoPhasePhase,
        transaction: current,
      });
      await tx.recordReply(command.commandId, reply.outcome, now);
      const outcome = onReply(
        current,
        {
          index: command.index,
          phase: command.phase as TwoPhasePhase,
          outcome: reply.outcome,
          data: reply.data,
        },
        current.dueAt,
        now,
        this.timings,
      );
      if (outcome.ignored) return { result: 'stale' as const, reason: outcome.ignored };
      await this.persist(tx, current, outcome, now);
      return { result: 'applied' as const, outcome, was: current.status };
    });
    if (result.outcome) this.afterCommit(result.outcome, result.was);
    // the reply consumer parks an unsigned one, with a line of its own
    else if (result.result !== 'unsigned') {
      // stale replies are routine (a re-sent message is answered twice); the others are not
      this.logger[result.result === 'stale' ? 'debug' : 'warn'](
        `2PC reply ${reply.id} to ${reply.correlationId} of transaction ${reply.sagaId} ignored: ${result.result}${'reason' in result ? ` (${result.reason})` : ''}`,
      );
    }
    return result.result;
  }

  /** Fires one due transaction timer (resend, prepare timeout), if any; true when it did. */
  async fireDueTimer(): Promise<boolean> {
    const now = Date.now();
    const fired = await this.store.transaction(async (tx) => {
      const current = await tx.claimDue(now);
      if (!current) return undefined;
      const outcome = onTimer(current, now, this.timings);
      await this.persist(tx, current, outcome, now);
      return { outcome, was: current.status };
    });
    if (fired) this.afterCommit(fired.outcome, fired.was);
    return fired !== undefined;
  }

  /**
   * An operator resolves a transaction by hand (rules: `resolve` of @skald/two-phase); the reason
   * and time are kept on it. Throws IllegalTransitionError for a move the rules forbid.
   */
  async resolve(
    id: string,
    request: { outcome: TwoPhaseDecision; reason: string; actor?: string },
  ): Promise<void> {
    const now = Date.now();
    const { outcome, was } = await this.store.transaction(async (tx) => {
      const current = await tx.lock(id);
      if (!current) throw new TransactionNotFoundError(id);
      const resolved = resolve(current, request, now, this.timings);
      await this.persist(tx, current, resolved, now);
      return { outcome: resolved, was: current.status };
    });
    const { state } = outcome;
    this.logger.warn(
      `transaction ${id} (${was}) resolved by ${request.actor ?? 'an operator'} with outcome ${request.outcome}, now ${state.status}; ` +
        `unacknowledged: ${state.resolution!.unacknowledged.join(', ') || 'none'}; reason: ${JSON.stringify(request.reason)}`,
    );
    this.afterCommit(outcome, was);
  }

  async get(id: string): Promise<TwoPhaseView> {
    const found = await this.store.find(id);
    if (!found) throw new TransactionNotFoundError(id);
    return found;
  }

  list(filter: TransactionListFilter): Promise<Page<TwoPhaseView>> {
    return this.store.list(filter);
  }

  private async persist(
    tx: TwoPhaseTransaction,
    keys: Pick<TwoPhaseRecord, 'idempotencyKey' | 'requestHash' | 'traceParent'>,
    outcome: Outcome,
    now: number,
  ): Promise<void> {
    const record: TwoPhaseRecord = {
      ...outcome.state,
      dueAt: outcome.dueAt,
      idempotencyKey: keys.idempotencyKey,
      requestHash: keys.requestHash,
      traceParent: keys.traceParent,
    };
    await tx.update(record, now);
    await this.queue(tx, outcome, keys.traceParent, now);
  }

  /** Queues the outcome's messages, each with a span of its phase (child of the transaction's). */
  private async queue(
    tx: TwoPhaseTransaction,
    outcome: Outcome,
    traceParent: string | null,
    now: number,
  ): Promise<void> {
    const spans = outcome.messages.map((m) =>
      startTwoPhaseSpan({ id: outcome.state.id, traceParent }, m),
    );
    const rows = outcome.messages.map((m, i) => {
      const commandId = toTwoPhaseCommandId(randomUUID());
      const message = {
        ...m,
        id: commandId,
        sagaId: outcome.state.id,
        traceParent: traceParentOf(spans[i]),
      };
      return {
        commandId,
        transactionId: outcome.state.id,
        index: m.index,
        participant: m.participant,
        phase: m.phase,
        attempt: m.attempt,
        ...commandRecord(
          { topicPrefix: this.config.topicPrefix, source: COMMAND_SOURCES.twoPhase },
          message,
          now,
        ),
      };
    });
    await endingSpans(spans, () => tx.insertCommands(rows, now));
  }

  /** After the commit of an event's outcome; `was` is the status before the event. */
  private afterCommit(outcome: Outcome, was: TransactionStatus): void {
    const { state } = outcome;
    this.faults.at('twopc:committed', outcome);
    if (state.status !== was && TERMINAL_TRANSACTION_STATUSES.includes(state.status))
      this.metrics.transactions.inc({ event: state.status });
    if (state.status === 'unacknowledged' && was !== 'unacknowledged')
      this.logger.warn(unacknowledgedMessage(state, this.timings.acknowledgeTimeoutMs));
    if (outcome.messages.length > 0) this.outbox.signal();
    this.logger.debug(`transaction ${state.id} is ${state.status}`);
  }
}
