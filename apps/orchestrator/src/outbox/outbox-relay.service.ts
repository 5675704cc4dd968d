// Relay: claim rows (SKIP LOCKED) → publish (acks=all) → delete, in one transaction per batch:
// one statement claims, one records what Kafka acknowledged (OutboxTransaction).
// Flow control happens here, where commands leave: each participant gets only what its breaker,
// bulkhead, rate limit and retry budget allow, by its own limits or the global ones; the rest
// waits in the outbox (in Postgres, not in memory).
// Each topic is sent on its own: one the broker refuses is held (TopicHolds), its rows wait, and
// every other topic keeps flowing.
// Batches overlap (OverlappingRounds, up to `relayConcurrency`): while one waits on Kafka, the
// next claims what it left, when the last claim came back full or more work was signalled.
// With no round running it sleeps until woken: by a commit that queued rows (in-process signal;
// NOTIFY from other instances), by a held topic's check, or when held-back work may go by time
// alone (a breaker turning half-open, a rate or retry token). The idle wait (`outboxPollMs`) is only a
// safety net.
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  listenForNotifications,
  OUTBOX_CHANNEL,
  SagaStore,
  type NotificationListener,
  type OutboxRecord,
  type ParticipantClaim,
} from '@skald/persistence';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { OutboxSignal } from '../sending/outbox-signal';
import { WakeableLoop } from '../engine/wakeable-loop';
import { NO_FAULTS, ORCHESTRATOR_FAULTS, type OrchestratorFaults } from '../faults/fault-points';
import { bounded } from '../kafka/bounded';
import { SHUTDOWN_STEP_MS } from '../kafka/kafka.tokens';
import { SkaldMetrics } from '../metrics/metrics.module';
import {
  ParticipantFlowControl,
  rateTokens,
  retryTokens,
  sendableAgainAt,
  tokenAt,
} from '../resilience/flow-control';
import { ClaimCommitGate } from '../sending/claim-commit-gate';
import { CommandSender, commandIdsOf } from '../sending/command-sender';
import { OverlappingRounds, type RoundClaim } from './relay-rounds';
import { TopicHolds } from '../sending/topic-holds';

@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly loop: WakeableLoop;
  private readonly rounds: OverlappingRounds;
  private listener: NotificationListener | undefined;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly store: SagaStore,
    private readonly sender: CommandSender,
    private readonly signal: OutboxSignal,
    private readonly metrics: SkaldMetrics,
    private readonly holds: TopicHolds,
    private readonly gate: ClaimCommitGate,
    private readonly flow: ParticipantFlowControl,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
    @Inject(ORCHESTRATOR_FAULTS) private readonly faults: OrchestratorFaults = NO_FAULTS,
  ) {
    this.rounds = new OverlappingRounds(config.relayConcurrency, (claimed) => this.round(claimed));
    this.loop = new WakeableLoop('outbox relay', () => this.rounds.run(), config.outboxPollMs);
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = [
      this.signal.onSignal(() => this.wake()),
      this.holds.onRetry(() => this.wake()),
    ];
    this.listener = listenForNotifications(
      this.config.databaseUrl,
      OUTBOX_CHANNEL,
      // its own process's commits already poked it (OutboxSignal): wake only for other instances
      (payload) => payload !== this.store.notifyAs && this.wake(),
      (error) => this.logger.warn(`outbox notifications interrupted: ${error.message}`),
    );
    this.loop.start();
  }

  /** More work: the running rounds take it, or the loop wakes up. */
  private wake(): void {
    if (!this.rounds.signal()) this.loop.poke();
  }

  /** Publishes one batch; true when there may be more that can be sent now. */
  async publishBatch(): Promise<boolean> {
    let claim: RoundClaim | undefined;
    await this.round((claimed) => (claim = claimed));
    return claim?.full ?? false;
  }

  /** One round: a batch, then a wake-up for work held back until a known time. */
  private async round(claimed: (claim: RoundClaim) => void): Promise<void> {
    this.signal.roundsRunning++;
    try {
      const heldUntil = await this.publish(claimed);
      if (heldUntil !== undefined) this.loop.wakeBy(heldUntil);
    } finally {
      this.signal.roundsRunning--;
    }
  }

  /** Publishes one batch; returns when work held back may be sent by time alone. */
  private async publish(claimed: (claim: RoundClaim) => void): Promise<number | undefined> {
    const batchSize = this.config.outboxBatchSize;
    const now = Date.now();
    // held from the last write through COMMIT (ClaimCommitGate): released once it is over
    let releaseGate: (() => void) | undefined;
    const { published, heldUntil } = await this.store
      .transaction(async (tx) => {
        const { participants, records, leasedUntil } = await this.gate.run(() =>
          tx.outbox.claim(
            {
              batchSize,
              defaults: this.flow.defaults,
              participants: this.flow.configured(),
              heldTopics: this.holds.blocked(),
            },
            now,
          ),
        );
        const budgets = withinBudgets(records, participants, now, this.flow);
        const { send } = budgets;
        const full = isFull(participants, send, batchSize);
        // left behind: a slot or token set free later must wake the relay for it
        this.signal.workQueued =
          full || send.length < records.length || participants.some((p) => p.slots === 0);
        // the next round may claim now, while this one waits on Kafka
        claimed({ records: records.length, full });
        const heldUntil = earliest([
          ...participants.map((p) => sendableAgainAt(p, now, this.flow.of(p.name))),
          ...budgets.tokensBackAt,
          // rows of a handoff that may have died with them
          leasedUntil,
        ]);
        if (send.length === 0) return { published: 0, heldUntil };
        // ⚠ delete only after Kafka acknowledged: rows of a refused topic, or of a failed batch, stay queued
        const sent = await this.sender.send(send);
        if (sent.length > 0) this.faults.at('outbox:published');
        await tx.outbox.dispatched(
          {
            outboxIds: sent.map((r) => r.id),
            commandIds: commandIdsOf(sent),
            retryTokens: budgets.retryTokensLeft,
            rateTokens: budgets.rateTokensLeft,
          },
          now,
        );
        releaseGate = await this.gate.commit();
        return { published: sent.length, heldUntil };
      })
      .finally(() => releaseGate?.());
    this.metrics.outboxPublished.inc(published);
    return heldUntil;
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    // a publish stuck on an unreachable broker is abandoned: its transaction rolls back, rows stay
    await bounded(this.loop.stop(), SHUTDOWN_STEP_MS);
    await this.listener?.close();
  }
}

/**
 * A participant's records to send, or the ungated ones, reached what the claim allowed: there may
 * be more to send now. (Records the retry budget holds back do not count: they wait for a token.)
 */
function isFull(participants: ParticipantClaim[], send: OutboxRecord[], batchSize: number) {
  const sending = (participant: string | null) =>
    send.filter((r) => r.participant === participant).length;
  return (
    participants.some((p) => p.slots > 0 && sending(p.name) >= p.slots) ||
    sending(null) >= batchSize
  );
}

/**
 * Keeps each participant's commands within its rate limit (every attempt spends a token) and its
 * retries (attempt > 1) within its retry budget too. A held record holds back the rest of its
 * saga's records in this batch, so a saga's commands keep their order. `tokensBackAt`: when a
 * participant whose bucket ran dry has a whole token again (the claim may have left its commands
 * in the outbox for want of tokens, so nothing else would wake the relay for them).
 */
function withinBudgets(
  claimed: OutboxRecord[],
  participants: ParticipantClaim[],
  now: number,
  flow: ParticipantFlowControl,
) {
  const buckets = new Map(
    participants.map((p) => {
      const options = flow.of(p.name);
      return [
        p.name,
        {
          options,
          retry: retryTokens(p, now, options),
          rate: rateTokens(p, now, options),
          retryHeld: false,
        },
      ];
    }),
  );
  const retryTokensLeft = new Map<string, number>();
  const rateTokensLeft = new Map<string, number>();
  const heldSagas = new Set<string>();
  const send: OutboxRecord[] = [];
  for (const record of claimed) {
    if (heldSagas.has(record.sagaId)) continue;
    const bucket = record.participant === null ? undefined : buckets.get(record.participant);
    if (record.participant !== null && bucket) {
      const retry = (record.attempt ?? 1) > 1;
      if ((retry && bucket.retry < 1) || bucket.rate < 1) {
        bucket.retryHeld ||= retry && bucket.retry < 1;
        heldSagas.add(record.sagaId);
        continue;
      }
      if (retry) retryTokensLeft.set(record.participant, --bucket.retry);
      if (bucket.options.ratePerSecond !== null) {
        rateTokensLeft.set(record.participant, --bucket.rate);
      }
    }
    send.push(record);
  }
  const tokensBackAt = [...buckets.values()].flatMap(({ options, retry, rate, retryHeld }) => [
    ...(retryHeld ? [tokenAt(retry, now, options.retriesPerSecond)] : []),
    ...(options.ratePerSecond !== null && rate < 1
      ? [tokenAt(rate, now, options.ratePerSecond)]
      : []),
  ]);
  return { send, retryTokensLeft, rateTokensLeft, tokensBackAt };
}

function earliest(times: (number | undefined)[]): number | undefined {
  const known = times.filter((t): t is number => t !== undefined);
  return known.length > 0 ? Math.min(...known) : undefined;
}
