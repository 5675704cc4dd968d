// Feeds each sent command's outcome into its participant's circuit breaker, inside the engine's
// transaction (fail-fast.ts decides which new commands fail fast while one is open).
import { Injectable, Logger } from '@nestjs/common';
import type { ClaimedTimer, ParticipantRecord, SagaTransaction } from '@skald/persistence';
import { SkaldMetrics } from '../metrics/metrics.module';
import {
  BREAKER_STATES,
  breakerAfter,
  ParticipantFlowControl,
  type BreakerOutcome,
} from './flow-control';

/** One answer (or timeout) of a participant to one operation of a saga, for its breaker. */
export interface ParticipantOutcome extends BreakerOutcome {
  readonly participant: string;
}

@Injectable()
export class ParticipantBreakers {
  private readonly logger = new Logger(ParticipantBreakers.name);

  constructor(
    private readonly metrics: SkaldMetrics,
    private readonly flowControl: ParticipantFlowControl,
  ) {}

  /**
   * Records a batch's outcomes, participant by participant in name order, each participant's in
   * arrival order, as at most one write per participant (queued in the transaction's statement).
   * Healthy: any reply but `error` (a business refusal proves the participant works). Unhealthy:
   * an `error` reply or a timeout; it counts only for an operation that has not failed already
   * since the last healthy outcome. `locked` holds the rows the transaction's read locked: of the
   * participants with an unhealthy outcome or a breaker not clean (ReplyBatchRead.flows); the
   * others' healthy outcomes change nothing.
   */
  recordAll(
    tx: SagaTransaction,
    outcomes: readonly ParticipantOutcome[],
    locked: ReadonlyMap<string, ParticipantRecord>,
    now: number,
  ): void {
    for (const [name, flow] of [...locked].sort(([a], [b]) => a.localeCompare(b))) {
      this.fold(
        tx,
        flow,
        outcomes.filter((o) => o.participant === name),
        now,
      );
    }
  }

  /** Records a fired step timeout against the participant its command went to: unhealthy. */
  recordTimeout(tx: SagaTransaction, claimed: ClaimedTimer, now: number): void {
    const { participant, sagaId, step, phase } = claimed.timer;
    if (!participant || !step || !phase || !claimed.flow) return;
    const timeout = { participant, healthy: false, operation: { sagaId, step, phase } };
    this.fold(tx, claimed.flow, [timeout], now);
  }

  /** Applies outcomes to a locked row one by one; writes the result once, if anything changed. */
  private fold(
    tx: SagaTransaction,
    flow: ParticipantRecord,
    outcomes: readonly ParticipantOutcome[],
    now: number,
  ): void {
    let state = flow;
    for (const outcome of outcomes) {
      const change = breakerAfter(state, outcome, now, this.flowControl.of(flow.name));
      if (!change) continue;
      if (change.breakerState === BREAKER_STATES.open) {
        this.transition(
          flow.name,
          BREAKER_STATES.open,
          `${change.consecutiveFailures} operations failed (timeouts or errors), no healthy reply between`,
        );
      } else if (state.breakerState === BREAKER_STATES.open) {
        this.closed(flow.name);
      }
      state = { ...state, ...change };
    }
    if (state === flow) return;
    const { breakerState, consecutiveFailures, failingOperations, openedAt } = state;
    tx.participants.updateBreaker(
      flow.name,
      { breakerState, consecutiveFailures, failingOperations, openedAt },
      now,
    );
  }

  private closed(participant: string): void {
    this.transition(participant, BREAKER_STATES.closed, 'a command succeeded');
  }

  private transition(participant: string, to: string, why: string): void {
    this.metrics.breakerTransitions.inc({ participant, to });
    this.logger.warn(`circuit breaker of participant "${participant}" is now ${to}: ${why}`);
  }
}
