// The one writer of decisions: a saga's new state, its history, its commands (execution rows and
// outbox records), its timers, and the cleanup of a finished saga, all in the caller's
// transaction and one statement per table for every saga of the transaction.
// ⚠ Everything a decision emits must be written here, in the transaction that locked the saga:
// a command or timer written anywhere else can be lost or doubled by a crash.
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NewCommandRow, SagaRecord, SagaTransaction } from '@skald/persistence';
import {
  TERMINAL_SAGA_STATUSES,
  type OutgoingCommand,
  type SagaDecision,
  type SagaDefinition,
} from '@skald/saga';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { SkaldMetrics } from '../metrics/metrics.module';
import type { RefusedCommand } from '../resilience/fail-fast';
import { COMMAND_SOURCES, commandRecord } from './command-records';
import { sagaRecordOf, type SagaBase } from './saga-records';

/** One saga's decision, ready to write. */
export interface SagaWrite {
  definition: SagaDefinition;
  decision: SagaDecision;
  /** What the decision does not change: the saga's idempotency keys and creation time. */
  base: SagaBase;
  /** True when the decision starts the saga: it is inserted, not updated. */
  isNew: boolean;
  /** Commands fail-fast answered at once instead of queueing them (resilience/fail-fast.ts). */
  refused: readonly RefusedCommand[];
}

@Injectable()
export class SagaWriter {
  private readonly logger = new Logger(SagaWriter.name);
  private readonly sender: Parameters<typeof commandRecord>[0];

  constructor(
    private readonly metrics: SkaldMetrics,
    @Inject(ORCHESTRATOR_CONFIG) config: CompiledOrchestratorConfig,
  ) {
    this.sender = { topicPrefix: config.topicPrefix, source: COMMAND_SOURCES.saga };
  }

  /**
   * Writes the decisions and returns each saga's record as written, in order; undefined for a new
   * saga whose idempotency key another saga holds (nothing of it is written).
   */
  async write(
    tx: SagaTransaction,
    writes: readonly SagaWrite[],
    now: number,
  ): Promise<(SagaRecord | undefined)[]> {
    const records = writes.map((w) => sagaRecordOf(w.decision.state, w.base, now));
    const inserted = await tx.insertSagas(
      records.filter((_, i) => writes[i].isNew),
      now,
    );
    await tx.updateSagas(
      records.filter((_, i) => !writes[i].isNew),
      now,
    );
    const written = writes.flatMap((write, i) =>
      !write.isNew || inserted.has(records[i].id) ? [{ ...write, saga: records[i] }] : [],
    );
    await tx.appendHistory(
      written.flatMap((w) => w.decision.history.map((h) => ({ sagaId: w.saga.id, ...h }))),
      now,
    );
    await tx.insertCommands(
      written.flatMap((w) => w.decision.commands.map((c) => this.commandRow(w.saga.id, c, now))),
      now,
    );
    const refused = written.flatMap((w) =>
      w.refused.map((r) => ({ ...r, row: this.commandRow(w.saga.id, r.command, now) })),
    );
    await tx.insertExecutions(
      refused.map((r) => r.row),
      now,
    );
    await tx.recordReplies(
      refused.map((r) => ({ commandId: r.command.id, outcome: 'error', reply: r.error })),
      now,
    );
    await tx.timers.insert(
      written.flatMap((w) => w.decision.timers.map((t) => ({ ...t, sagaId: w.saga.id }))),
      now,
    );
    const finished = written.filter((w) => TERMINAL_SAGA_STATUSES.includes(w.saga.status));
    await tx.finishSagas(
      finished.map((w) => w.saga.id),
      now,
    );
    for (const { definition, saga } of finished) this.finished(definition, saga);
    return records.map((saga, i) => (!writes[i].isNew || inserted.has(saga.id) ? saga : undefined));
  }

  private commandRow(sagaId: string, c: OutgoingCommand, now: number): NewCommandRow {
    return {
      commandId: c.id,
      sagaId,
      step: c.step,
      phase: c.phase,
      attempt: c.attempt,
      participant: c.participant,
      command: c.command,
      request: c.payload,
      ...commandRecord(this.sender, { ...c, sagaId }, now),
    };
  }

  private finished(definition: SagaDefinition, saga: SagaRecord): void {
    this.metrics.sagasFinished.inc({ type: definition.name, status: saga.status });
    if (saga.status === 'completed') return;
    const { id, type, version, status, error } = saga;
    this.logger.warn(
      { sagaId: id, type, version, status, step: error?.step, code: error?.code },
      `saga ${id} (${type} v${version}) is ${status}: ${error?.code}: ${error?.message}`,
    );
  }
}
