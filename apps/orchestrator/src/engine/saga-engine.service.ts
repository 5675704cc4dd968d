// The engine. Every transition reads as its data flows: lock the saga row → decide() (pure, from
// the DSL) → resolve fail-fast (resilience/) → write the decision (saga-writer.ts), in ONE
// transaction. Never touches kafkajs; the relay publishes what commits here.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import { isRetryable, type ReplyEnvelope } from '@skald/protocol';
import { type SagaRecord, type SagaTransaction, type TimerRecord } from '@skald/persistence';
import {
  decide,
  initialState,
  TERMINAL_SAGA_STATUSES,
  type DecideContext,
  type SagaDecision,
  type SagaDefinition,
  type SagaEvent,
} from '@skald/saga';
import { NO_FAULTS, ORCHESTRATOR_FAULTS, type OrchestratorFaults } from '../faults/fault-points';
import { sagaLogFields } from '../logging/saga-log-fields';
import { secondsBetween, SkaldMetrics } from '../metrics/metrics.module';
import { FailFast } from '../resilience/fail-fast';
import { ParticipantBreakers } from '../resilience/participant-breakers.service';
import { SagaDefinitions } from '../registry/saga-definitions';
import { endingSpans, startSagaSpan, traceParentOf } from '../tracing/spans';
import { IdempotencyConflictError, SagaNotFoundError } from './errors';
import { GroupCommit, type ItemOutcome } from './group-commit';
import { CommandHandoff } from '../sending/command-handoff';
import {
  applyReplies,
  type DecidedSaga,
  type ReplyResult,
  type UnsignedRefusal,
} from './reply-batch';
import { sagaStateOf, type SagaBase } from './saga-records';
import { SagaWriter } from './saga-writer';
import { stableHash } from './stable-hash';

export interface StartSagaRequest {
  type: string;
  input: unknown;
  idempotencyKey?: string;
  /** The caller's W3C `traceparent`: the saga's trace continues it. */
  traceParent?: string;
}

/** A started saga, as written; `created: false` when the idempotency key returned an earlier one. */
export interface StartResult {
  saga: SagaRecord;
  created: boolean;
}

/** Concurrent starts written per transaction at most (bounds one transaction's size and locks). */
const MAX_STARTS_PER_TRANSACTION = 100;
/** How long a timer whose saga cannot be advanced here (e.g. its definition is missing) waits to be tried again. */
const POISON_TIMER_DELAY_MS = 60_000;

/** The events an operator (or a bulk job acting for one) applies to one saga through `act`. */
export type OperatorEvent = Extract<
  SagaEvent,
  { kind: 'cancel' | 'resume' | 'skip-compensation' | 'pause' | 'unpause' | 'skip-step' }
>;

export interface ActOptions {
  /** Runs in the action's transaction after the saga row is locked; false: do nothing. */
  within?: (tx: SagaTransaction) => Promise<boolean>;
}

/** How the reply consumer hands a batch of replies over. */
export interface ReplyOptions {
  /** Picks the unsigned replies to refuse once their command's participant is known. */
  refuseUnsigned?: UnsignedRefusal;
  /**
   * Epoch ms when the consumer received the replies: the start of skald_reply_to_command_seconds,
   * which ends at the commit of each decision that queued commands. @default now
   */
  receivedAt?: number;
}

@Injectable()
export class SagaEngine {
  private readonly logger = new Logger(SagaEngine.name);
  private readonly starts = new GroupCommit<StartSagaRequest, StartResult>(
    (requests) => this.startMany(requests),
    MAX_STARTS_PER_TRANSACTION,
  );

  constructor(
    private readonly definitions: SagaDefinitions,
    private readonly writer: SagaWriter,
    private readonly failFast: FailFast,
    private readonly breakers: ParticipantBreakers,
    private readonly handoff: CommandHandoff,
    private readonly metrics: SkaldMetrics,
    @Inject(ORCHESTRATOR_FAULTS) private readonly faults: OrchestratorFaults = NO_FAULTS,
  ) {}

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
    const ctx = decideContext();
    const spans: Span[] = [];
    const decided = requests.map((request) => {
      const definition = this.definitions.latest(request.type);
      const id = randomUUID();
      const span = startSagaSpan({ id, type: definition.name }, request.traceParent);
      spans.push(span);
      const base = {
        idempotencyKey: request.idempotencyKey ?? null,
        requestHash: stableHash({ type: request.type, input: request.input }),
        createdAt: ctx.now,
        traceParent: traceParentOf(span) ?? null,
      };
      const state = initialState(definition, { id, input: request.input, now: ctx.now });
      return { definition, decision: decide(definition, state, { kind: 'start' }, ctx), base };
    });
    const outcomes = await endingSpans(spans, () => this.writeStarts(decided, ctx));
    for (const [i, outcome] of outcomes.entries()) {
      if ('ok' in outcome && outcome.ok.created) {
        this.metrics.sagasStarted.inc({ type: decided[i].definition.name });
        this.committed([outcome.ok.saga]);
      }
    }
    return outcomes;
  }

  /** The start transaction: new sagas written, or the earlier saga of a taken idempotency key. */
  private writeStarts(
    decided: { definition: SagaDefinition; decision: SagaDecision; base: SagaBase }[],
    ctx: DecideContext,
  ): Promise<ItemOutcome<StartResult>[]> {
    return this.handoff.transaction(async (tx) => {
      const resolved = await this.failFast.resolve(tx, decided, ctx);
      const sagas = await this.writer.write(
        tx,
        resolved.map((item) => ({ ...item, isNew: true })),
        ctx.now,
      );
      const results: ItemOutcome<StartResult>[] = [];
      for (const [i, saga] of sagas.entries()) {
        if (saga) {
          results.push({ ok: { saga, created: true } });
          continue;
        }
        // the key is taken (by an earlier saga, or by one earlier in this very group)
        const { idempotencyKey, requestHash } = decided[i].base;
        const existing = (await tx.findByIdempotencyKey(idempotencyKey!))!;
        results.push(
          existing.requestHash === requestHash
            ? { ok: { saga: existing, created: false } }
            : { error: new IdempotencyConflictError(idempotencyKey!, existing.id) },
        );
      }
      return results;
    });
  }

  /** Applies a reply at most once: inbox dedupe, correlation to the awaited command, then decide. */
  async handleReply(reply: ReplyEnvelope, options: ReplyOptions = {}): Promise<ReplyResult> {
    return (await this.handleReplies([reply], options))[0];
  }

  /**
   * Applies a batch of replies in ONE transaction (one commit for many sagas): inbox dedupe,
   * correlation, every saga concerned locked in id order, decide per reply in arrival order, one
   * write per saga. Returns each reply's result, in order.
   */
  async handleReplies(
    replies: ReplyEnvelope[],
    { refuseUnsigned, receivedAt = Date.now() }: ReplyOptions = {},
  ): Promise<ReplyResult[]> {
    const ctx = decideContext();
    const outcome = await this.handoff.transaction(async (tx) => {
      const read = await tx.readReplies(
        replies.map(({ id, correlationId, sagaId, outcome }) => ({
          id,
          correlationId,
          sagaId,
          outcome,
        })),
      );
      const batch = applyReplies(
        replies,
        { ...read, definitionOf: (saga) => this.definitionOf(saga), refuseUnsigned },
        ctx,
      );
      tx.recordReplies(batch.answers, ctx.now);
      tx.appendHistory(batch.history, ctx.now);
      this.breakers.recordAll(tx, batch.outcomes, read.flows, ctx.now);
      // in the decisions' statement, this delete cannot see a new attempt's timeout written there
      tx.timers.cancelAnswered(batch.answeredSteps);
      const applied = await this.writeDecisions(tx, batch.decided, ctx);
      this.faults.at('saga:replies-written', applied);
      const queuingCommands = batch.decided.filter((d) => d.decision.commands.length > 0).length;
      return { ...batch, applied, queuingCommands };
    });
    const committedAt = Date.now();
    for (let i = 0; i < outcome.queuingCommands; i++)
      this.metrics.replyToCommand.observe(secondsBetween(receivedAt, committedAt));
    for (const { command, outcome: answer } of outcome.appliedAnswers)
      this.metrics.stepAnswered(command, answer, ctx.now);
    this.committed(outcome.applied);
    for (const { saga, step, message } of outcome.warnings)
      this.logger.warn(sagaLogFields(saga, step), message);
    return outcome.results;
  }

  /** Fires one due timer, if any (claimed with SKIP LOCKED, so instances share them). */
  async fireDueTimer(): Promise<boolean> {
    const ctx = decideContext();
    const fired = await this.handoff.transaction(async (tx) => {
      const claimed = await tx.claimDueTimer(ctx.now);
      if (!claimed) return undefined;
      const { timer, saga: stored } = claimed;
      if (stored.status === 'paused') {
        // a paused saga holds its timers: this one comes due again when the saga is resumed
        tx.timers.hold(timer.id);
        return { sagas: [], released: false };
      }
      let definition: SagaDefinition;
      let decision: SagaDecision;
      try {
        definition = this.definitionOf(stored);
        decision = decide(definition, sagaStateOf(stored), timerEvent(timer), ctx);
      } catch (error) {
        if (isRetryable(error)) throw error;
        // a timer that can never apply here must not block the ones behind it: look again later
        this.logger.error(
          { ...sagaLogFields(stored, timer.step ?? undefined), timerId: timer.id },
          `timer ${timer.id} of saga ${stored.id} postponed: ${(error as Error).message}`,
        );
        tx.timers.postpone(timer.id, ctx.now + POISON_TIMER_DELAY_MS);
        return { sagas: [], released: false };
      }
      tx.timers.delete(timer.id, timer.sagaId);
      const { commandId } = timer;
      const released = timer.kind === 'step-timeout' && !!commandId && !!timer.participant;
      if (released) {
        // no answer in time: the participant is slow or down, and the command is no longer in flight
        tx.releaseCommand(commandId, ctx.now);
        this.breakers.recordTimeout(tx, claimed, ctx.now);
      }
      this.metrics.timersFired.inc({ kind: timer.kind, applied: String(!decision.ignored) });
      if (decision.ignored) return { sagas: [], released };
      const sagas = await this.writeDecisions(tx, [{ stored, definition, decision }], ctx);
      // a step timeout that applied ends its command's attempt, as a reply would
      const timedOut = released && timer.sentAt !== null ? timedOutCommand(timer) : undefined;
      return { sagas, released, timedOut };
    });
    if (fired?.timedOut) this.metrics.stepAnswered(fired.timedOut, 'timeout', ctx.now);
    // a bulkhead slot it freed wakes the relay if commands wait for one (CommandHandoff)
    this.committed(fired?.sagas ?? []);
    return fired !== undefined;
  }

  /**
   * Operator and API actions on one saga: cancel, resume (retry), skip a compensation, pause,
   * resume a paused saga (unpause), skip a paused step.
   * `options.within` runs in the action's transaction once the saga row is locked; its writes
   * commit with the action (or roll back with it), and when it answers false nothing is done.
   */
  async act(sagaId: string, event: OperatorEvent, options: ActOptions = {}): Promise<SagaRecord> {
    const ctx = decideContext();
    const { saga, written } = await this.handoff.transaction(async (tx) => {
      const stored = await tx.lockSaga(sagaId);
      if (!stored) throw new SagaNotFoundError(sagaId);
      if (options.within && !(await options.within(tx))) return { saga: stored, written: false };
      const definition = this.definitionOf(stored);
      const decision = decide(definition, sagaStateOf(stored), event, ctx);
      if (decision.ignored) return { saga: stored, written: false };
      const [saga] = await this.writeDecisions(tx, [{ stored, definition, decision }], ctx);
      return { saga, written: true };
    });
    if (written) this.committed([saga]);
    else this.afterCommit(saga);
    return saga;
  }

  /** Resolves fail-fast for decisions about stored sagas, then writes them. */
  private async writeDecisions(
    tx: SagaTransaction,
    decided: DecidedSaga[],
    ctx: DecideContext,
  ): Promise<SagaRecord[]> {
    const resolved = await this.failFast.resolve(tx, decided, ctx);
    const writes = resolved.map((item) => ({
      ...item,
      base: item.stored,
      isNew: false,
      resumes: item.stored.status === 'paused' && item.decision.state.status !== 'paused',
    }));
    return (await this.writer.write(tx, writes, ctx.now)) as SagaRecord[];
  }

  private definitionOf(saga: SagaRecord): SagaDefinition {
    return this.definitions.get(saga.type, saga.version);
  }

  /** After the commit that wrote `sagas`: each saga it ended counts that ending (once). */
  private committed(sagas: readonly SagaRecord[]): void {
    for (const saga of sagas) {
      if (TERMINAL_SAGA_STATUSES.includes(saga.status)) this.metrics.sagaEnded(saga);
      this.afterCommit(saga);
    }
  }

  private afterCommit(saga: SagaRecord): void {
    this.faults.at('saga:committed', saga);
    this.logger.debug(
      { ...sagaLogFields(saga), status: saga.status },
      `saga ${saga.id} (${saga.type} v${saga.version}) is ${saga.status}`,
    );
  }
}

function decideContext(): DecideContext {
  return { now: Date.now(), newId: randomUUID, random: Math.random };
}

/** The command a step timeout gave up on (a step timeout of a sent command has all of these). */
function timedOutCommand(timer: TimerRecord) {
  return {
    participant: timer.participant!,
    step: timer.step!,
    phase: timer.phase!,
    sentAt: timer.sentAt!,
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
