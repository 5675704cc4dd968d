// The engine: lock saga row → decide (pure, from the DSL) → write state + history + outbox rows
// + timers in ONE transaction. Never touches kafkajs; the relay publishes what commits here.
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
  SagaStore,
  type NewTimerRow,
  type SagaRecord,
  type SagaTransaction,
  type TimerRecord,
} from '@skald/persistence';
import {
  decide,
  initialState,
  isRetryable,
  TERMINAL_SAGA_STATUSES,
  type DecideContext,
  type Decision,
  type OutgoingCommand,
  type SagaDefinition,
  type SagaEvent,
  type SagaState,
  type TimerRequest,
} from '@skald/saga';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
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
}

/** Concurrent starts written per transaction at most (bounds one transaction's size and locks). */
const MAX_STARTS_PER_TRANSACTION = 100;

/** What became of a consumed reply. Only `applied` changed a saga. */
export type ReplyResult =
  'applied' | 'duplicate' | 'stale' | 'unknown-correlation' | 'saga-mismatch';

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
  ) {}

  private context(): DecideContext {
    return { now: Date.now(), newId: randomUUID, random: Math.random };
  }

  /**
   * Starts a saga of the latest registered version of `type`. With an idempotency key, the same
   * request returns the saga it started (`created: false`); a different request with that key throws.
   */
  async start(request: StartSagaRequest): Promise<StartResult> {
    this.definitions.latest(request.type); // an unknown type is refused before it joins a group
    return this.starts.submit(request);
  }

  /** Starts a group of sagas in ONE transaction; an idempotency conflict fails only its request. */
  private async startMany(requests: StartSagaRequest[]): Promise<ItemOutcome<StartResult>[]> {
    const ctx = this.context();
    const outcomes = await this.store.transaction(async (tx) => {
      const results: ItemOutcome<StartResult & { definition: SagaDefinition }>[] = [];
      for (const request of requests) {
        const definition = this.definitions.latest(request.type);
        const requestHash = stableHash({ type: request.type, input: request.input });
        const keys = { idempotencyKey: request.idempotencyKey ?? null, requestHash };
        const state = initialState(definition, {
          id: randomUUID(),
          input: request.input,
          now: ctx.now,
        });
        const decision = decide(definition, state, { kind: 'start' }, ctx);
        const saga = await this.persistNew(tx, definition, decision, keys, ctx);
        if (saga) {
          results.push({ ok: { saga, created: true, definition } });
          continue;
        }
        const existing = (await tx.findByIdempotencyKey(request.idempotencyKey!))!;
        results.push(
          existing.requestHash === requestHash
            ? { ok: { saga: existing, created: false, definition } }
            : { error: new IdempotencyConflictError(request.idempotencyKey!, existing.id) },
        );
      }
      return results;
    });
    return outcomes.map((outcome) => {
      if (!('ok' in outcome)) return outcome;
      const { definition, ...result } = outcome.ok;
      if (result.created) {
        this.metrics.sagasStarted.inc({ type: definition.name });
        this.afterCommit(result.saga);
      }
      return { ok: result };
    });
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
      const ignored: string[] = [];
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
        await tx.recordReply(execution.commandId, reply.outcome, reply.data, ctx.now);
        outcomes.push({
          participant: execution.participant,
          healthy: reply.outcome !== 'error',
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
        if (decision.ignored) {
          ignored.push(
            `reply ${reply.id} to command ${reply.correlationId} of saga ${reply.sagaId} ignored: ${decision.ignored}`,
          );
          results.push('stale');
          continue;
        }
        await tx.deleteTimers(execution.sagaId, { stepTimeoutOf: execution.step });
        saga.decision = saga.decision ? followedBy(saga.decision, decision) : decision;
        results.push('applied');
      }
      await this.breakers.recordAll(tx, outcomes, ctx.now);
      const applied: SagaRecord[] = [];
      for (const { record, definition, decision } of touched.values()) {
        if (decision) applied.push(await this.persist(tx, definition, decision, record, ctx));
      }
      if (applied.length > 0) crashPoint('orchestrator:reply-before-commit');
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
      let decision: Decision;
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
        await this.breakers.record(tx, timer.participant, false, ctx.now);
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
    decided: Decision,
    keys: Pick<SagaRecord, 'idempotencyKey' | 'requestHash'>,
    ctx: DecideContext,
  ): Promise<SagaRecord> {
    const { decision, refused } = await this.failFast(tx, definition, decided, ctx);
    const saga = toRecord(decision.state, keys);
    await tx.updateSaga(saga, ctx.now);
    await this.writeEffects(tx, definition, saga, decision, refused, ctx.now);
    return saga;
  }

  /** Inserts a new saga in the state its start decided; undefined when its idempotency key is taken. */
  private async persistNew(
    tx: SagaTransaction,
    definition: SagaDefinition,
    decided: Decision,
    keys: Pick<SagaRecord, 'idempotencyKey' | 'requestHash'>,
    ctx: DecideContext,
  ): Promise<SagaRecord | undefined> {
    const { decision, refused } = await this.failFast(tx, definition, decided, ctx);
    const saga = toRecord(decision.state, keys);
    if (!(await tx.insertSaga(saga, ctx.now))) return undefined;
    await this.writeEffects(tx, definition, saga, decision, refused, ctx.now);
    return saga;
  }

  /** History, commands (queued, or answered at once when refused), timers; cleanup when terminal. */
  private async writeEffects(
    tx: SagaTransaction,
    definition: SagaDefinition,
    saga: SagaRecord,
    decision: Decision,
    refused: OutgoingCommand[],
    now: number,
  ): Promise<void> {
    await tx.appendHistory(saga.id, decision.history, now);
    const rows = (commands: OutgoingCommand[]) =>
      commands.map((c) => this.commandRow(saga.id, c, now));
    await tx.insertCommands(rows(decision.commands), now);
    await tx.insertExecutions(rows(refused), now);
    for (const command of refused) {
      const error = circuitOpenError(command.participant, this.config.flowControl.openMs);
      await tx.recordReply(command.id, 'error', error, now);
    }
    await tx.insertTimers(saga.id, withCommandIds(decision), now);
    if (TERMINAL_SAGA_STATUSES.includes(saga.status)) {
      await tx.deleteTimers(saga.id);
      await tx.releaseSaga(saga.id, now);
      this.metrics.sagasFinished.inc({ type: definition.name, status: saga.status });
    }
  }

  /**
   * Fail-fast mode: each command for a participant whose breaker is open is answered at once with
   * a transient CIRCUIT_OPEN error instead of being queued, and decide() takes it from there
   * (a retry timer, or compensation once retries are spent).
   */
  private async failFast(
    tx: SagaTransaction,
    definition: SagaDefinition,
    decision: Decision,
    ctx: DecideContext,
  ): Promise<{ decision: Decision; refused: OutgoingCommand[] }> {
    const refused: OutgoingCommand[] = [];
    for (let round = 0; round < MAX_FAIL_FAST_ROUNDS; round++) {
      const [command] = await this.breakers.refusedNow(tx, decision.commands, ctx.now);
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
    crashPoint('orchestrator:after-state-commit');
    if (
      saga.status === 'compensating' &&
      Object.values(saga.steps).some((s) => s.status === 'compensated')
    ) {
      crashPoint('orchestrator:between-compensations');
    }
    this.outbox.signal();
    this.logger.debug(`saga ${saga.id} (${saga.type} v${saga.version}) is ${saga.status}`);
  }
}

/** A saga touched by a batch of replies: its locked row, and what the replies decided so far. */
interface PendingSaga {
  record: SagaRecord;
  definition: SagaDefinition;
  decision?: Decision;
}

/** Two decisions taken one after the other, as one: the later state, everything else in order. */
function followedBy(first: Decision, next: Decision): Decision {
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
function withCommandIds(decision: Decision): NewTimerRow[] {
  return decision.timers.map((t) => ({
    ...t,
    commandId: decision.commands.find((c) => isTimeoutOf(t, c))?.id,
  }));
}
