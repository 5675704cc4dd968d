// Feeds each sent command's outcome into its participant's circuit breaker, inside the engine's
// transaction (fail-fast.ts decides which new commands fail fast while one is open).
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SagaTransaction, TimerRecord } from '@skald/persistence';
import { SkaldMetrics } from '../metrics/metrics.module';
import {
  BREAKER_STATES,
  breakerAfter,
  type BreakerOutcome,
  type FlowControlOptions,
} from './flow-control';
import { FLOW_CONTROL_OPTIONS } from './flow-control.token';

/** One answer (or timeout) of a participant to one operation of a saga, for its breaker. */
export interface ParticipantOutcome extends BreakerOutcome {
  readonly participant: string;
}

@Injectable()
export class ParticipantBreakers {
  private readonly logger = new Logger(ParticipantBreakers.name);

  constructor(
    private readonly metrics: SkaldMetrics,
    @Inject(FLOW_CONTROL_OPTIONS) private readonly flowControl: FlowControlOptions,
  ) {}

  /**
   * Records one outcome of a command sent to a participant. Healthy: any reply but `error` (a
   * business refusal proves the participant works). Unhealthy: an `error` reply or a timeout; it
   * counts only for an operation that has not failed already since the last healthy outcome.
   */
  async record(tx: SagaTransaction, outcome: ParticipantOutcome, now: number): Promise<void> {
    const { participant } = outcome;
    if (outcome.healthy) {
      if ((await tx.participants.recordHealthy(participant, now)) === BREAKER_STATES.open) {
        this.transition(participant, BREAKER_STATES.closed, 'a command succeeded');
      }
      return;
    }
    const flow = await tx.participants.lock(participant);
    if (!flow) return;
    const change = breakerAfter(flow, outcome, now, this.flowControl);
    if (!change) return;
    await tx.participants.updateBreaker(participant, change, now);
    if (change.breakerState === BREAKER_STATES.open) {
      this.transition(
        participant,
        BREAKER_STATES.open,
        `${change.consecutiveFailures} operations failed (timeouts or errors), no healthy reply between`,
      );
    }
  }

  /** Records a fired step timeout against the participant its command went to: unhealthy. */
  async recordTimeout(tx: SagaTransaction, timer: TimerRecord, now: number): Promise<void> {
    const { participant, sagaId, step, phase } = timer;
    if (!participant || !step || !phase) return;
    await this.record(tx, { participant, healthy: false, operation: { sagaId, step, phase } }, now);
  }

  /**
   * Records a batch's outcomes, participant by participant in name order (two batches locking
   * participant rows in different orders could deadlock), each participant's in arrival order.
   */
  async recordAll(tx: SagaTransaction, outcomes: ParticipantOutcome[], now: number): Promise<void> {
    const names = [...new Set(outcomes.map((o) => o.participant))].sort();
    for (const name of names) {
      const mine = outcomes.filter((o) => o.participant === name);
      // a run of healthy outcomes changes the breaker once: record the last one of each run
      for (const [i, outcome] of mine.entries()) {
        if (outcome.healthy && mine[i + 1]?.healthy) continue;
        await this.record(tx, outcome, now);
      }
    }
  }

  private transition(participant: string, to: string, why: string): void {
    this.metrics.breakerTransitions.inc({ participant, to });
    this.logger.warn(`circuit breaker of participant "${participant}" is now ${to}: ${why}`);
  }
}
