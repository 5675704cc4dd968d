import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Buckets in seconds: a saga of a few milliseconds (one local step) up to ten minutes. */
const SAGA_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];
/** Buckets in seconds: one step attempt, 1 ms up to a minute (step timeouts are usually below). */
const STEP_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/** Buckets in seconds: work inside the orchestrator, 0.5 ms up to a minute (a backlog, an outage). */
const ENGINE_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Seconds from one epoch-ms time to a later one (never negative: instances' clocks may differ). */
export function secondsBetween(fromMs: number, toMs: number): number {
  return Math.max(0, toMs - fromMs) / 1000;
}

/**
 * The orchestrator's Prometheus metrics, on a registry of its own (not prom-client's global one).
 * Gauges read at scrape time register here too, from where their data lives (StateGauges,
 * ParticipantGauges, ReplyLagGauge). Every name is in docs/metrics.md; names are a contract.
 */
@Injectable()
export class SkaldMetrics {
  readonly registry = new Registry();
  readonly sagasStarted = new Counter({
    name: 'skald_sagas_started_total',
    help: 'Sagas started, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly sagasFinished = new Counter({
    name: 'skald_sagas_finished_total',
    help: 'Sagas that reached a terminal status (completed, compensated, failed), by type',
    labelNames: ['type', 'status'],
    registers: [this.registry],
  });
  readonly replies = new Counter({
    name: 'skald_replies_total',
    help: 'Replies consumed, by result (applied, fence-acknowledged, duplicate, stale, unknown-correlation, saga-mismatch, malformed, dead-lettered)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly replySignatureRefusals = new Counter({
    name: 'skald_reply_signature_refusals_total',
    help: 'Replies refused and dead-lettered by the signature check, never applied, by the check that failed (missing, unknown-key, bad-signature)',
    labelNames: ['check'],
    registers: [this.registry],
  });
  readonly outboxPublished = new Counter({
    name: 'skald_outbox_published_total',
    help: 'Outbox records published to Kafka',
    registers: [this.registry],
  });
  readonly outboxPublishFailures = new Counter({
    name: 'skald_outbox_publish_failures_total',
    help: "Sends of a topic's outbox records the broker refused (the topic is then held, its records wait), by topic and error",
    labelNames: ['topic', 'error'],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'skald_dead_letters_total',
    help: 'Messages parked on the dead-letter topic, by source topic',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly timersFired = new Counter({
    name: 'skald_timers_fired_total',
    help: 'Durable timers fired, by kind and whether they still applied',
    labelNames: ['kind', 'applied'],
    registers: [this.registry],
  });

  readonly breakerTransitions = new Counter({
    name: 'skald_breaker_transitions_total',
    help: 'Circuit breaker state changes, by participant and new state (open, closed)',
    labelNames: ['participant', 'to'],
    registers: [this.registry],
  });
  readonly fencedWrites = new Counter({
    name: 'skald_fenced_writes_total',
    help: 'Writes refused because this instance no longer held the lease (stale fencing token), by lease',
    labelNames: ['lease'],
    registers: [this.registry],
  });
  readonly transactions = new Counter({
    name: 'skald_transactions_total',
    help: '2PC transactions started, committed, aborted and left unacknowledged (label event)',
    labelNames: ['event'],
    registers: [this.registry],
  });

  readonly sagaDuration = new Histogram({
    name: 'skald_saga_duration_seconds',
    help: 'Time from a saga start to its end (created_at to ended_at), by type and final status (completed, compensated, failed)',
    labelNames: ['type', 'status'],
    buckets: SAGA_BUCKETS,
    registers: [this.registry],
  });
  readonly stepDuration = new Histogram({
    name: 'skald_step_duration_seconds',
    help: 'Time from the commit that queued a step command (sent_at) to the commit that applied its reply or its timeout, by participant, step, phase and outcome (success, failure, error, timeout)',
    labelNames: ['participant', 'step', 'phase', 'outcome'],
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });
  readonly replyToCommand = new Histogram({
    name: 'skald_reply_to_command_seconds',
    help: 'Time from the reply consumer receiving a batch of replies to the commit of a decision that queued the next commands (one observation per saga)',
    buckets: ENGINE_BUCKETS,
    registers: [this.registry],
  });
  readonly outboxAgeAtPublish = new Histogram({
    name: 'skald_outbox_age_at_publish_seconds',
    help: 'Time an outbox record waited from the commit that queued it (created_at) to the Kafka acknowledgement of its publish',
    buckets: ENGINE_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'skald_' });
  }

  /** A saga ended (after the commit that ended it). */
  sagaEnded(saga: { type: string; status: string; createdAt: number; endedAt: number | null }) {
    this.sagasFinished.inc({ type: saga.type, status: saga.status });
    this.sagaDuration.observe(
      { type: saga.type, status: saga.status },
      secondsBetween(saga.createdAt, saga.endedAt ?? saga.createdAt),
    );
  }

  /**
   * A step command's answer was applied at `at` (the transaction time, its `replied_at`), or its
   * timeout fired then: how long the step attempt took since the command was queued.
   */
  stepAnswered(
    command: { participant: string; step: string; phase: string; sentAt: number },
    outcome: 'success' | 'failure' | 'error' | 'timeout',
    at: number,
  ): void {
    const { participant, step, phase, sentAt } = command;
    this.stepDuration.observe({ participant, step, phase, outcome }, secondsBetween(sentAt, at));
  }

  /** Records acknowledged by Kafka at `ackedAt`: how long each waited in the outbox. */
  observeOutboxAges(records: readonly { createdAt: number }[], ackedAt: number): void {
    for (const r of records) this.outboxAgeAtPublish.observe(secondsBetween(r.createdAt, ackedAt));
  }
}
