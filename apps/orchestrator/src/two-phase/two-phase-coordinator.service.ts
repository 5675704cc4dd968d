// The 2PC coordinator: lock the transaction row → the pure protocol step (@skald/two-phase) →
// write state + messages (outbox) in ONE transaction. Never touches kafkajs; the relay publishes.
// ⚠ The decision (status committing/aborting) commits in the same transaction as its messages and
// before them: a participant can only hear a decision that is already durable (guarantee 8).
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  commandTopic,
  crashPoint,
  encodeCommand,
  replyTopic,
  type ReplyEnvelope,
} from '@skald/protocol';
import {
  TwoPhaseStore,
  type TwoPhaseRecord,
  type TwoPhaseTransaction,
  type TwoPhaseView,
} from '@skald/persistence';
import {
  begin,
  onReply,
  onTimer,
  toTwoPhaseCommandId,
  TransactionNotFoundError,
  type CoordinatorTimings,
  type Outcome,
  type TwoPhasePhase,
} from '@skald/two-phase';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { IdempotencyConflictError } from '../engine/errors';
import { OutboxSignal } from '../engine/outbox-signal';
import { stableHash } from '../engine/stable-hash';
import type { ReplyResult } from '../engine/saga-engine.service';
import { SkaldMetrics } from '../metrics/metrics.module';

export interface BeginTransactionRequest {
  participants: { participant: string; command: string; payload: unknown }[];
  timeoutMs?: number;
  idempotencyKey?: string;
}

const SOURCE = 'skald-coordinator';

@Injectable()
export class TwoPhaseCoordinator {
  private readonly logger = new Logger(TwoPhaseCoordinator.name);
  private readonly timings: CoordinatorTimings;

  constructor(
    private readonly store: TwoPhaseStore,
    private readonly outbox: OutboxSignal,
    private readonly metrics: SkaldMetrics,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
  ) {
    this.timings = { resendMs: config.twoPhaseResendMs };
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
    const keys = { idempotencyKey: request.idempotencyKey ?? null, requestHash };
    const result = await this.store.transaction(async (tx) => {
      const record = { ...outcome.state, dueAt: outcome.dueAt, ...keys };
      if (!(await tx.insert(record, now))) {
        const existing = (await tx.findByIdempotencyKey(request.idempotencyKey!))!;
        if (existing.requestHash !== requestHash)
          throw new IdempotencyConflictError(request.idempotencyKey!, existing.id, 'transaction');
        return { id: existing.id, created: false };
      }
      await this.queue(tx, outcome, now);
      return { id: record.id, created: true };
    });
    if (result.created) {
      this.metrics.transactions.inc({ event: 'started' });
      crashPoint('twopc:coordinator-after-create');
      this.outbox.signal();
    }
    return result;
  }

  /** Applies a reply to a 2PC message. Idempotent by state: a vote counts once, an ack once. */
  async handleReply(reply: ReplyEnvelope): Promise<ReplyResult> {
    const now = Date.now();
    const result = await this.store.transaction(async (tx) => {
      const command = await tx.findCommand(reply.correlationId);
      if (!command) return { result: 'unknown-correlation' as const };
      if (command.transactionId !== reply.sagaId) return { result: 'saga-mismatch' as const };
      const current = (await tx.lock(command.transactionId))!;
      if (
        command.phase === 'prepare' &&
        current.status === 'preparing' &&
        current.participants.every((p) => p.vote === null)
      ) {
        crashPoint('twopc:coordinator-after-prepares-sent');
      }
      if (command.phase !== 'prepare' && current.participants.every((p) => !p.acknowledged)) {
        crashPoint('twopc:coordinator-after-decision-sent-to-one');
      }
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
      return { result: 'applied' as const, outcome };
    });
    if (result.outcome) this.afterCommit(result.outcome);
    else {
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
      return outcome;
    });
    if (fired) this.afterCommit(fired);
    return fired !== undefined;
  }

  async get(id: string): Promise<TwoPhaseView> {
    const found = await this.store.find(id);
    if (!found) throw new TransactionNotFoundError(id);
    return found;
  }

  private async persist(
    tx: TwoPhaseTransaction,
    keys: Pick<TwoPhaseRecord, 'idempotencyKey' | 'requestHash'>,
    outcome: Outcome,
    now: number,
  ): Promise<void> {
    const record: TwoPhaseRecord = {
      ...outcome.state,
      dueAt: outcome.dueAt,
      idempotencyKey: keys.idempotencyKey,
      requestHash: keys.requestHash,
    };
    await tx.update(record, now);
    await this.queue(tx, outcome, now);
  }

  private async queue(tx: TwoPhaseTransaction, outcome: Outcome, now: number): Promise<void> {
    const time = new Date(now).toISOString();
    const prefix = this.config.topicPrefix;
    await tx.insertCommands(
      outcome.messages.map((m) => {
        const commandId = toTwoPhaseCommandId(randomUUID());
        const record = encodeCommand({
          id: commandId,
          source: SOURCE,
          command: m.command,
          time,
          sagaId: outcome.state.id,
          step: m.step,
          attempt: m.attempt,
          phase: m.phase,
          replyTo: replyTopic(prefix),
          data: m.payload,
        });
        return {
          commandId,
          transactionId: outcome.state.id,
          index: m.index,
          participant: m.participant,
          phase: m.phase,
          attempt: m.attempt,
          topic: commandTopic(prefix, m.participant),
          key: record.key,
          headers: record.headers,
          payload: record.value,
        };
      }),
      now,
    );
  }

  private afterCommit(outcome: Outcome): void {
    const { state } = outcome;
    const decided = outcome.messages.some((m) => m.phase !== 'prepare');
    if (decided && state.participants.every((p) => !p.acknowledged || p.vote === 'no')) {
      crashPoint('twopc:coordinator-after-decision-logged');
    }
    if (state.status === 'preparing' && state.participants.some((p) => p.vote !== null)) {
      crashPoint('twopc:coordinator-after-some-votes');
    }
    if (state.status === 'committed' || state.status === 'aborted')
      this.metrics.transactions.inc({ event: state.status });
    if (outcome.messages.length > 0) this.outbox.signal();
    this.logger.debug(`transaction ${state.id} is ${state.status}`);
  }
}
