import { Inject, Injectable } from '@nestjs/common';
import { SagaQueries, type SagaListFilter, type SagaRecord } from '@skald/persistence';
import { commandTopic } from '@skald/protocol';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { TopicHolds } from '../sending/topic-holds';
import {
  breakerState,
  ParticipantFlowControl,
  waitReason,
  WAIT_REASONS,
  type FlowControlOptions,
} from '../resilience/flow-control';
import { SagaNotFoundError } from '../engine/errors';
import { SagaDefinitions } from '../registry/saga-definitions';
import { historyResource, sagaResource, type StepWaiting } from './saga-resource';

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

/** The limits a participant runs with, as GET /v1/participants shows them. */
function limitsResource(options: FlowControlOptions, configured: boolean) {
  return {
    source: configured ? ('participant' as const) : ('global' as const),
    maxInFlight: options.maxInFlight,
    ratePerSecond: options.ratePerSecond,
    retriesPerSecond: options.retriesPerSecond,
    breaker: {
      failureThreshold: options.failureThreshold,
      openMs: options.openMs,
      halfOpenProbes: options.halfOpenProbes,
      mode: options.mode,
    },
  };
}

/** Reads for the REST API, shaped as the resources of docs/rest-api.md. */
@Injectable()
export class SagaViews {
  constructor(
    private readonly queries: SagaQueries,
    private readonly definitions: SagaDefinitions,
    private readonly holds: TopicHolds,
    private readonly flowControl: ParticipantFlowControl,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
  ) {}

  private definitionOf(type: string, version: number) {
    try {
      return this.definitions.get(type, version);
    } catch {
      return undefined; // still inspectable when its definition is no longer registered
    }
  }

  async saga(id: string) {
    const saga = await this.queries.findSaga(id);
    if (!saga) throw new SagaNotFoundError(id);
    return sagaResource(saga, this.definitionOf(saga.type, saga.version), await this.waiting(id));
  }

  /**
   * The resource of a saga record as read or just written (no read-back), without `waiting`
   * (which needs the outbox): for lists, and for the saga the engine just started.
   */
  resourceOf(saga: SagaRecord) {
    return sagaResource(saga, this.definitionOf(saga.type, saga.version));
  }

  /** Steps whose command waits in the outbox, with the reason (breaker, bulkhead, retry budget, topic). */
  private async waiting(sagaId: string): Promise<Map<string, StepWaiting>> {
    const commands = await this.queries.waitingCommands(sagaId);
    if (commands.length === 0) return new Map();
    const participants = new Map((await this.queries.participants()).map((p) => [p.name, p]));
    const now = Date.now();
    return new Map(
      commands.map((c) => {
        const flow = participants.get(c.participant);
        const reason = this.heldTopicOf(c.participant)
          ? WAIT_REASONS.topicUnavailable
          : flow
            ? waitReason(flow, flow.inFlight, c.attempt, now, this.flowControl.of(c.participant))
            : WAIT_REASONS.queued;
        return [c.step, { participant: c.participant, reason }];
      }),
    );
  }

  /**
   * Each participant's circuit breaker (and how it was last set by hand), commands in flight and
   * waiting, and the limits it runs with (GET /v1/participants).
   */
  async participants() {
    const now = Date.now();
    return {
      items: (await this.queries.participants()).map((p) => {
        const options = this.flowControl.of(p.name);
        const byHand = p.manualState === 'open';
        return {
          name: p.name,
          breaker: {
            state: breakerState(p, now, options),
            consecutiveFailures: p.consecutiveFailures,
            openedAt: iso(p.openedAt),
            probesFrom: iso(p.openedAt === null || byHand ? null : p.openedAt + options.openMs),
            ...(p.manual
              ? { manual: { ...p.manual, at: new Date(p.manual.at).toISOString() } }
              : {}),
          },
          inFlight: p.inFlight,
          maxInFlight: options.maxInFlight,
          queued: p.queued,
          limits: limitsResource(options, this.flowControl.isConfigured(p.name)),
          held: this.heldTopicOf(p.name),
        };
      }),
    };
  }

  /** Why this instance's relay holds the participant's commands back, if it does. */
  private heldTopicOf(participant: string) {
    const hold = this.holds.get(commandTopic(this.config.topicPrefix, participant));
    const at = (ms: number) => new Date(ms).toISOString();
    return hold && { ...hold, since: at(hold.since), nextAttemptAt: at(hold.nextAttemptAt) };
  }

  async history(id: string) {
    const [saga, entries] = await Promise.all([
      this.queries.findSaga(id),
      this.queries.history(id),
    ]);
    if (!saga) throw new SagaNotFoundError(id);
    return historyResource(entries);
  }

  async list(filter: SagaListFilter) {
    const page = await this.queries.list(filter);
    return {
      items: page.items.map((s) => this.resourceOf(s)),
      nextCursor: page.nextCursor,
    };
  }
}
