// The one writer of decisions: a saga's new state, its history, its commands (execution rows and
// outbox records), its timers, and the cleanup of a finished saga, all in the caller's
// transaction and ONE statement for every saga of the transaction (write-statement.ts).
// ⚠ Everything a decision emits must be written here, in the transaction that locked the saga:
// a command or timer written anywhere else can be lost or doubled by a crash.
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import type { NewCommandRow, SagaRecord, SagaTransaction } from '@skald/persistence';
import {
  TERMINAL_SAGA_STATUSES,
  type OutgoingCommand,
  type SagaDecision,
  type SagaDefinition,
} from '@skald/saga';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { definitionHash } from './definition-shape';
import type { RefusedCommand } from '../resilience/fail-fast';
import { sagaLogFields } from '../logging/saga-log-fields';
import { endingSpans, startStepSpan, traceParentOf } from '../tracing/spans';
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
  /** True when the decision takes the saga out of `paused`: its held timers come due. */
  resumes?: boolean;
}

@Injectable()
export class SagaWriter {
  private readonly logger = new Logger(SagaWriter.name);
  private readonly sender: Parameters<typeof commandRecord>[0];

  constructor(@Inject(ORCHESTRATOR_CONFIG) config: CompiledOrchestratorConfig) {
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
    const inserted = tx.insertSagas(
      records.flatMap((record, i) =>
        writes[i].isNew
          ? [{ ...record, definitionHash: definitionHash(writes[i].definition) }]
          : [],
      ),
      now,
    );
    tx.updateSagas(
      records.filter((_, i) => !writes[i].isNew),
      now,
    );
    // what a new saga whose idempotency key is taken would write is left out by the statement
    const all = writes.map((write, i) => ({
      ...write,
      saga: records[i],
      finishes: TERMINAL_SAGA_STATUSES.includes(records[i].status),
    }));
    tx.appendHistory(
      all.flatMap((w) => w.decision.history.map((h) => ({ sagaId: w.saga.id, ...h }))),
      now,
    );
    const stepSpans: Span[] = [];
    tx.insertCommands(
      all.flatMap((w) =>
        w.decision.commands.map((c) => {
          // the command carries its attempt's span: the participant's spans are its children
          const span = startStepSpan(w.saga, c);
          stepSpans.push(span);
          this.logger.debug(
            { ...sagaLogFields(w.saga, c.step), attempt: c.attempt, phase: c.phase },
            `saga ${w.saga.id}: ${c.phase} ${c.step} attempt ${c.attempt} queued (${c.participant} ${c.command})`,
          );
          return {
            ...this.commandRow(w.saga.id, c, now, traceParentOf(span)),
            released: w.finishes,
          };
        }),
      ),
      now,
    );
    tx.insertAnswered(
      all.flatMap((w) =>
        w.refused.map((r) => ({
          ...this.commandRow(w.saga.id, r.command, now),
          outcome: 'error',
          reply: r.error,
        })),
      ),
      now,
    );
    // a finished saga's timers all go: those it would set now are not written at all
    tx.timers.insert(
      all.flatMap((w) =>
        w.finishes ? [] : w.decision.timers.map((t) => ({ ...t, sagaId: w.saga.id })),
      ),
      now,
    );
    // a saga that finishes drops its timers instead (one CTE per timer row)
    tx.timers.releaseHeld(
      all.filter((w) => w.resumes && !w.finishes).map((w) => w.saga.id),
      now,
    );
    const finished = all.filter((w) => w.finishes);
    tx.finishSagas(
      finished.map((w) => w.saga.id),
      now,
    );
    await endingSpans(stepSpans, () => tx.flush());
    const written = (w: (typeof all)[number]) => !w.isNew || inserted.get().has(w.saga.id);
    for (const w of finished) if (written(w)) this.logEnding(w.saga);
    return all.map((w) => (written(w) ? w.saga : undefined));
  }

  private commandRow(
    sagaId: string,
    c: OutgoingCommand,
    now: number,
    traceParent?: string,
  ): NewCommandRow {
    return {
      commandId: c.id,
      sagaId,
      step: c.step,
      phase: c.phase,
      attempt: c.attempt,
      participant: c.participant,
      command: c.command,
      request: c.payload,
      ...commandRecord(this.sender, { ...c, sagaId, traceParent }, now),
    };
  }

  /** A saga that ended other than completed is worth a line (its metrics count after the commit). */
  private logEnding(saga: SagaRecord): void {
    if (saga.status === 'completed') return;
    const { id, type, version, status, error } = saga;
    this.logger.warn(
      { ...sagaLogFields(saga, error?.step), type, version, status, code: error?.code },
      `saga ${id} (${type} v${version}) is ${status}: ${error?.code}: ${error?.message}`,
    );
  }
}
