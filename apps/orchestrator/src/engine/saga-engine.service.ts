// The engine: lock saga row → decide (pure, from the DSL) → write state + history + outbox rows
// + timers in ONE transaction. Never touches kafkajs; the relay publishes what commits here.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  commandTopic,
  encodeCommand,
  isRetryable,
  replyTopic,
  type ReplyEnvelope,
} from '@skald/protocol';
import {
  SagaStore,
  type NewTimerRow,
  type SagaRecord,
  type SagaTransaction,
  type TimerRecord,
} from '@skald/persistence';
import {
  decide,
  initialState,
  TERMINAL_SAGA_STATUSES,
  type DecideContext,
  type HistoryEntry,
  type OutgoingCommand,
  type SagaDecision,
  type SagaDefinition,
  type SagaEvent,
  type SagaState,
  type TimerRequest,
} from '@skald/saga';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { NO_FAULTS, ORCHESTRATOR_FAULTS, type OrchestratorFaults } from '../faults/fault-points';
import { SkaldMetrics } from '../metrics/metrics.module';
import {
  ParticipantBreakers,
  type ParticipantOutcome,
} from '../resilience/participant-breakers.service';
import { SagaDefinitions } from '../registry/saga-definitions';
import { IdempotencyConflictError, SagaNotFoundError } from './errors';
import { GroupCommit, type ItemOutcome } from './group-commit';
import { OutboxSignal } from './outbox-signal';
import { stableHash } from './stable-hash';

export interface StartSagaRequest {
  type: string;
  input: unknown;
  idempotencyKey?: string;
}

/** A started saga; `created: false` when the idempotency key returned an earlier one. */
export interface StartResult {
  saga: SagaRecord;
  created: boolean;
  /** ms since epoch: when the transaction that started it ran (its created_at). */
  at: number;
}

/** Concurrent starts written per transaction at most (bounds one transaction's size and locks). */
const MAX_STARTS_PER_TRANSACTION = 100;

/** What became of a consumed reply. Only `applied` changed a saga. */
export type ReplyResult =
  | 'applied'
  | 'fence-acknowledged'
  | 'duplicate'
  | 'stale'
  | 'unknown-correlation'
  | 'saga-mismatch';

const SOURCE = 'skald-orchestrator';
/** How long a timer whose saga cannot be advanced here (e.g. its definition is missing) waits to be tried again. */
const POISON_TIMER_DELAY_MS = 60_000;
/** Bounds the fail-fast loop (each round fails one command; retries come back as timers). */
const MAX_FAIL_FAST_ROUNDS = 100;
export const CIRCUIT_OPEN_CODE = 'CIRCUIT_OPEN';

// A SagaRecord is a SagaState plus its idempotency keys, with null where the state has undefined.
function toState({
  idempotencyKey: _key,
  requestHash: _hash,
  error,
  deadlineAt,
  ...rest
}: SagaRecord): SagaState {
  return { ...rest, error: error ?? undefined, deadlineAt: deadlineAt ?? undefined };
}

function toRecord(
  { error, deadlineAt, ...rest }: SagaState,
  keys: Pick<SagaRecord, 'idempotencyKey' | 'requestHash'>,
): SagaRecord {
  return {
    ...rest,
    error: error ?? null,
    deadlineAt: deadlineAt ?? null,
    idempotencyKey: keys.idempotencyKey,
    requestHash: keys.requestHash,
  };
}

function timerEvent(timer: TimerRecord): SagaEvent {
  if (timer.kind === 'deadline') return { kind: 'deadline' };
  return {
    kind: timer.kind === 'retry' ? 'retry-due' : 'step-timeout',
    step: timer.step!,
    phase: timer.phase!,
    attempt: timer.attempt!,
  };
}

@Injectable()
export class SagaEngine {
  private readonly logger = new Logger(SagaEngine.name);
  private readonly starts = new GroupCommit<StartSagaRequest, StartResult>(
    (requests) => this.startMany(requests),
    MAX_STARTS_PER_TRANSACTION,
  );

  constructor(
    private readonly store: SagaStore,
    private readonly definitions: SagaDefinitions,
    private readonly outbox: OutboxSignal,
    private readonly metrics: SkaldMetrics,
    private readonly breakers: ParticipantBreakers,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
    @Inject(ORCHESTRATOR_FAULTS) private readonly faults: OrchestratorFaults = NO_FAULTS,
  ) {}

  private context(): DecideContext {
    return { now: Date.now(), newId: randomUUID, random: Math.random };
  }

  /**
   * Starts a saga of the latest registered version of `type`. With an idempotency key, the same
   * request returns the saga it started (`created: false`); a different request with that key throws.
   */
  async start(request: StartSagaRequest): Promise<StartResult> {
    this.definitions.checkInput(request.type, request.input); // refused before it joins a group
    return this.starts.submit(request);
  }

  /** Starts a group of sagas in ONE transaction; an idempotency conflict fails only its request. */
  private async startMany(requests: StartSagaRequest[]): Promise<ItemOutcome<StartResult>[]> {
    const ctx = this.context();
    const items = requests.map((request) => {
      const definition = this.definitions.latest(request.type);
      const requestHash = stableHash({ type: request.type, input: request.input });
      const keys = { idempotencyKey: request.idempotencyKey ?? null, requestHash };
      const state = initialState(definition, {
        id: randomUUID(),
        input: request.input,
        now: ctx.now,
      });
      const decision = decide(definition, state, { kind: 'start' }, ctx);
      return { definition, decision, keys, isNew: true };
    });
    const outcomes = await this.store.transaction(async (tx) => {
      const sagas = await this.persistAll(tx, items, ctx);
      const results: ItemOutcome<StartResult>[] = [];
      for (const [i, saga] of sagas.entries()) {
        if (saga) {
          results.push({ ok: { saga, created: true, at: ctx.now } });
          continue;
        }
        // the key is taken (by an earlier saga, or by one earlier in this very group)
        const { idempotencyKey, requestHash } = items[i].keys;
        const existing = (await tx.findByIdempotencyKey(idempotencyKey!))!;
        results.push(
          existing.requestHash === requestHash
            ? { ok: { saga: existing, created: false, at: ctx.now } }
            : { error: new IdempotencyConflictError(idempotencyKey!, existing.id) },
        );
      }
      return results;
    });
    for (const [i, outcome] of outcomes.entries()) {
      if ('ok' in outcome && outcome.ok.created) {
        this.metrics.sagasStarted.inc({ type: items[i].definition.name });
        this.afterCommit(outcome.ok.saga);
      }
    }
    return outcomes;
  }

  /** Applies a reply at most once: inbox dedupe, correlation to the awaited command, then decide. */
  async handleReply(reply: ReplyEnvelope): Promise<ReplyResult> {
    return (await this.handleReplies([reply]))[0];
  }

  /**
   * Applies a batch of replies in ONE transaction (one commit for many sagas): inbox dedupe,
   * correlation, every saga concerned locked in id order, decide per reply in arrival order, one
   * write per saga. Returns each reply's result, in order.
   */
  async handleReplies(replies: ReplyEnvelope[]): Promise<ReplyResult[]> {
    const ctx = this.context();
    const id = (value: string) => value.toLowerCase();
    const outcome = await this.store.transaction(async (tx) => {
      const fresh = await tx.recordInbox(replies.map((r) => r.id));
      const executions = await tx.findExecutions(replies.map((r) => r.correlationId));
      const correlated = replies.flatMap((r) => {
        const execution = executions.get(id(r.correlationId));
        return execution && execution.sagaId === id(r.sagaId) ? [execution.sagaId] : [];
      });
      const locked = await tx.lockSagas([...new Set(correlated)]);
      const touched = new Map<string, PendingSaga>();
      const outcomes: ParticipantOutcome[] = [];
      const recorded: { commandId: string; outcome: string; reply: unknown }[] = [];
      const answeredSteps: { sagaId: string; step: string }[] = [];
      const ignored: string[] = [];
      const ranBeforeFence: (HistoryEntry & { sagaId: string })[] = [];
      const results: ReplyResult[] = [];
      for (const reply of replies) {
        if (!fresh.delete(id(reply.id))) {
          results.push('duplicate');
          continue;
        }
        const execution = executions.get(id(reply.correlationId));
        if (!execution) {
          results.push('unknown-correlation');
          continue;
        }
        if (execution.sagaId !== id(reply.sagaId)) {
          results.push('saga-mismatch');
          continue;
        }
        recorded.push({
          commandId: execution.commandId,
          outcome: reply.outcome,
          reply: reply.data,
        });
        outcomes.push({
          participant: execution.participant,
          healthy: reply.outcome !== 'error',
          operation: { sagaId: execution.sagaId, step: execution.step, phase: execution.phase },
        });
        const saga = touched.get(execution.sagaId) ?? this.pending(locked.get(execution.sagaId)!);
        touched.set(execution.sagaId, saga);
        const decision = decide(
          saga.definition,
          saga.decision?.state ?? toState(saga.record),
          {
            kind: 'reply',
            step: execution.step,
            phase: execution.phase,
            commandId: execution.commandId,
            outcome: reply.outcome,
            data: reply.data,
          },
          ctx,
        );
        if (decision.ignored && execution.phase === 'fence') {
          // a fence nothing waits for: it only matters if the step ran before the fence arrived
          if ((reply.data as { executed?: unknown } | null)?.executed === true) {
            ranBeforeFence.push({
              sagaId: execution.sagaId,
              type: 'fence-found-effect',
              step: execution.step,
              details: { participant: execution.participant },
            });
            ignored.push(
              `saga ${execution.sagaId}: step ${execution.step} was given up on without a compensation, but participant ${execution.participant} had run it; its effect remains`,
            );
          }
          results.push('fence-acknowledged');
          continue;
        }
        if (decision.ignored) {
          ignored.push(
            `reply ${reply.id} to command ${reply.correlationId} of saga ${reply.sagaId} ignored: ${decision.ignored}`,
          );
          results.push('stale');
          continue;
        }
        answeredSteps.push({ sagaId: execution.sagaId, step: execution.step });
        saga.decision = saga.decision ? followedBy(saga.decision, decision) : decision;
        results.push('applied');
      }
      await tx.recordReplies(recorded, ctx.now);
      await tx.appendHistory(ranBeforeFence, ctx.now);
      await this.breakers.recordAll(tx, outcomes, ctx.now);
      // before the new timers are written: a step that replied may start a new attempt's timeout
      await tx.deleteStepTimeouts(answeredSteps);
      const decided = [...touched.values()].flatMap(({ record, definition, decision }) =>
        decision ? [{ definition, decision, keys: record }] : [],
      );
      const applied = (await this.persistAll(tx, decided, ctx)).map((saga) => saga!);
      this.faults.at('saga:replies-written', applied);
      return { results, applied, ignored };
    });
    for (const saga of outcome.applied) this.afterCommit(saga);
    for (const line of outcome.ignored) this.logger.warn(line);
    return outcome.results;
  }

  private pending(record: SagaRecord): PendingSaga {
    return { record, definition: this.definitions.get(record.type, record.version) };
  }

  /** Fires one due timer, if any (claimed with SKIP LOCKED, so instances share them). */
  async fireDueTimer(): Promise<boolean> {
    const ctx = this.context();
    const fired = await this.store.transaction(async (tx) => {
      const timer = await tx.claimDueTimer(ctx.now);
      if (!timer) return undefined;
      const saga = (await tx.lockSaga(timer.sagaId))!;
      let definition: SagaDefinition;
      let decision: SagaDecision;
      try {
        definition = this.definitions.get(saga.type, saga.version);
        decision = decide(definition, toState(saga), timerEvent(timer), ctx);
      } catch (error) {
        if (isRetryable(error)) throw error;
        // a timer that can never apply here must not block the ones behind it: look again later
        this.logger.error(
          `timer ${timer.id} of saga ${saga.id} postponed: ${(error as Error).message}`,
        );
        await tx.postponeTimer(timer.id, ctx.now + POISON_TIMER_DELAY_MS);
        return { saga: undefined };
      }
      await tx.deleteTimer(timer.id);
      if (timer.kind === 'step-timeout' && timer.commandId && timer.participant) {
        // no answer in time: the participant is slow or down, and the command is no longer in flight
        await tx.releaseCommand(timer.commandId, ctx.now);
        await this.breakers.record(
          tx,
          {
            participant: timer.participant,
            healthy: false,
            operation: { sagaId: timer.sagaId, step: timer.step!, phase: timer.phase! },
          },
          ctx.now,
        );
      }
      this.metrics.timersFired.inc({ kind: timer.kind, applied: String(!decision.ignored) });
      if (decision.ignored) return { saga: undefined };
      return { saga: await this.persist(tx, definition, decision, saga, ctx) };
    });
    if (fired?.saga) this.afterCommit(fired.saga);
    return fired !== undefined;
  }

  /** Operator and API actions on one saga: cancel, resume (retry), skip a compensation. */
  async act(
    sagaId: string,
    event: Extract<SagaEvent, { kind: 'cancel' | 'resume' | 'skip-compensation' }>,
  ) {
    const ctx = this.context();
    const saga = await this.store.transaction(async (tx) => {
      const current = await tx.lockSaga(sagaId);
      if (!current) throw new SagaNotFoundError(sagaId);
      const definition = this.definitions.get(current.type, current.version);
      const decision = decide(definition, toState(current), event, ctx);
      if (decision.ignored) return current;
      return this.persist(tx, definition, decision, current, ctx);
    });
    this.afterCommit(saga);
    return saga;
  }

  /** Writes a decision about an existing saga: its new state and everything it emits. */
  private async persist(
    tx: SagaTransaction,
    definition: SagaDefinition,
    decision: SagaDecision,
    keys: Pick<SagaRecord, 'idempotencyKey' | 'requestHash'>,
    ctx: DecideContext,
  ): Promise<SagaRecord> {
    const [saga] = await this.persistAll(tx, [{ definition, decision, keys }], ctx);
    return saga!;
  }

  /**
   * Writes the decisions of a transaction, one statement per table for all its sagas: new sagas
   * inserted (undefined in the result when the idempotency key is taken), the others updated,
   * then their history, commands (queued, or answered at once when refused), timers, and the
   * cleanup of those that finished.
   */
  private async persistAll(
    tx: SagaTransaction,
    items: SagaWrite[],
    ctx: DecideContext,
  ): Promise<(SagaRecord | undefined)[]> {
    const now = ctx.now;
    const prepared = [];
    for (const item of items) {
      const { decision, refused } = await this.failFast(tx, item.definition, item.decision, ctx);
      prepared.push({ ...item, decision, refused, saga: toRecord(decision.state, item.keys) });
    }
    const inserted = await tx.insertSagas(
      prepared.filter((p) => p.isNew).map((p) => p.saga),
      now,
    );
    await tx.updateSagas(
      prepared.filter((p) => !p.isNew).map((p) => p.saga),
      now,
    );
    const written = prepared.filter((p) => !p.isNew || inserted.has(p.saga.id));
    const rows = (sagaId: string, commands: OutgoingCommand[]) =>
      commands.map((c) => this.commandRow(sagaId, c, now));
    await tx.appendHistory(
      written.flatMap((p) => p.decision.history.map((h) => ({ sagaId: p.saga.id, ...h }))),
      now,
    );
    await tx.insertCommands(
      written.flatMap((p) => rows(p.saga.id, p.decision.commands)),
      now,
    );
    const refused = written.flatMap((p) => rows(p.saga.id, p.refused));
    await tx.insertExecutions(refused, now);
    await tx.recordReplies(
      refused.map((c) => ({
        commandId: c.commandId,
        outcome: 'error',
        reply: circuitOpenError(c.participant, this.config.flowControl.openMs),
      })),
      now,
    );
    await tx.insertTimers(
      written.flatMap((p) => withCommandIds(p.saga.id, p.decision)),
      now,
    );
    const finished = written.filter((p) => TERMINAL_SAGA_STATUSES.includes(p.saga.status));
    await tx.finishSagas(
      finished.map((p) => p.saga.id),
      now,
    );
    for (const { definition, saga } of finished) {
      this.metrics.sagasFinished.inc({ type: definition.name, status: saga.status });
      if (saga.status === 'completed') continue;
      const { id, type, version, status, error } = saga;
      this.logger.warn(
        { sagaId: id, type, version, status, step: error?.step, code: error?.code },
        `saga ${id} (${type} v${version}) is ${status}: ${error?.code}: ${error?.message}`,
      );
    }
    return prepared.map((p) => (!p.isNew || inserted.has(p.saga.id) ? p.saga : undefined));
  }

  /**
   * Fail-fast mode: each command for a participant whose breaker is open is answered at once with
   * a transient CIRCUIT_OPEN error instead of being queued, and decide() takes it from there
   * (a retry timer, or compensation once retries are spent).
   */
  private async failFast(
    tx: SagaTransaction,
    definition: SagaDefinition,
    decision: SagaDecision,
    ctx: DecideContext,
  ): Promise<{ decision: SagaDecision; refused: OutgoingCommand[] }> {
    const refused: OutgoingCommand[] = [];
    for (let round = 0; round < MAX_FAIL_FAST_ROUNDS; round++) {
      // a fence is not awaited: it waits for the breaker like any command, never fails fast
      const awaited = decision.commands.filter((c) => c.phase !== 'fence');
      const [command] = await this.breakers.refusedNow(tx, awaited, ctx.now);
      if (!command) break;
      refused.push(command);
      const next = decide(
        definition,
        decision.state,
        {
          kind: 'reply',
          step: command.step,
          phase: command.phase,
          commandId: command.id,
          outcome: 'error',
          data: circuitOpenError(command.participant, this.config.flowControl.openMs),
        },
        ctx,
      );
      const withoutCommand = {
        ...decision,
        commands: decision.commands.filter((c) => c !== command),
        timers: decision.timers.filter((t) => !isTimeoutOf(t, command)),
      };
      decision = followedBy(withoutCommand, next);
    }
    return { decision, refused };
  }

  private commandRow(sagaId: string, c: OutgoingCommand, now: number) {
    const record = encodeCommand({
      id: c.id,
      source: SOURCE,
      command: c.command,
      time: new Date(now).toISOString(),
      sagaId,
      step: c.step,
      attempt: c.attempt,
      run: c.run,
      phase: c.phase,
      replyTo: replyTopic(this.config.topicPrefix),
      data: c.payload,
    });
    return {
      commandId: c.id,
      sagaId,
      step: c.step,
      phase: c.phase,
      attempt: c.attempt,
      participant: c.participant,
      command: c.command,
      request: c.payload,
      topic: commandTopic(this.config.topicPrefix, c.participant),
      key: record.key,
      headers: record.headers,
      payload: record.value,
    };
  }

  private afterCommit(saga: SagaRecord): void {
    this.faults.at('saga:committed', saga);
    this.outbox.signal();
    this.logger.debug(`saga ${saga.id} (${saga.type} v${saga.version}) is ${saga.status}`);
  }
}

/** One saga's decision to write; `isNew` sagas are inserted, the others updated. */
interface SagaWrite {
  definition: SagaDefinition;
  decision: SagaDecision;
  keys: Pick<SagaRecord, 'idempotencyKey' | 'requestHash'>;
  isNew?: boolean;
}

/** A saga touched by a batch of replies: its locked row, and what the replies decided so far. */
interface PendingSaga {
  record: SagaRecord;
  definition: SagaDefinition;
  decision?: SagaDecision;
}

/** Two decisions taken one after the other, as one: the later state, everything else in order. */
function followedBy(first: SagaDecision, next: SagaDecision): SagaDecision {
  return {
    state: next.state,
    commands: [...first.commands, ...next.commands],
    timers: [...first.timers, ...next.timers],
    history: [...first.history, ...next.history],
  };
}

function circuitOpenError(participant: string, openMs: number) {
  return {
    code: CIRCUIT_OPEN_CODE,
    message: `not sent: the circuit breaker of participant "${participant}" is open (it is probed again within ${openMs} ms)`,
  };
}

function isTimeoutOf(timer: TimerRequest, command: OutgoingCommand): boolean {
  return (
    timer.kind === 'step-timeout' &&
    timer.step === command.step &&
    timer.phase === command.phase &&
    timer.attempt === command.attempt
  );
}

/** Step timeouts name their command, so they start only when the relay sends it. */
function withCommandIds(sagaId: string, decision: SagaDecision): NewTimerRow[] {
  return decision.timers.map((t) => ({
    ...t,
    sagaId,
    commandId: decision.commands.find((c) => isTimeoutOf(t, c))?.id,
  }));
}
