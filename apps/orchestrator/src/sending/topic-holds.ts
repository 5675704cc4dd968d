// Topics the relay holds back: the broker refused their records (topic missing with
// auto.create.topics.enable=false, not authorized, ...). Their rows stay in the outbox while every
// other topic flows; a metadata check with backoff, off the relay's path, decides when to try again.
// Per instance, in memory: each relay finds out for itself, and a restart simply tries again.
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { doublingDelayMs } from '@skald/protocol';
import { KafkaAdmin } from '../kafka/kafka-admin';
import { kafkaErrorCode } from '../kafka/kafka-errors';
import { SkaldMetrics } from '../metrics/metrics.module';

/** Why and since when a topic's records wait (GET /v1/participants shows it as `held`). */
export interface TopicHold {
  topic: string;
  /** The broker's error code (e.g. UNKNOWN_TOPIC_OR_PARTITION), or the client error's name. */
  error: string;
  message: string;
  /** Failed sends and checks in a row. */
  failures: number;
  /** ms since epoch */
  since: number;
  /** When the topic is checked again (ms since epoch); once it answers, the next batch sends. */
  nextAttemptAt: number;
}

const FIRST_CHECK_MS = 500;
const MAX_CHECK_MS = 30_000;

@Injectable()
export class TopicHolds implements OnModuleDestroy {
  private readonly logger = new Logger('OutboxRelay');
  private readonly holds = new Map<string, TopicHold & { timer: NodeJS.Timeout }>();
  /** Topics a check let go while their records were not yet sent: failures so far, and since. */
  private readonly retrying = new Map<string, Pick<TopicHold, 'failures' | 'since'>>();
  private readonly retryListeners = new Set<() => void>();

  constructor(
    private readonly admin: KafkaAdmin,
    private readonly metrics: SkaldMetrics,
  ) {}

  /** Topics whose records must stay in the outbox for now. */
  blocked(): string[] {
    return [...this.holds.keys()];
  }

  get(topic: string): TopicHold | undefined {
    const hold = this.holds.get(topic);
    if (!hold) return undefined;
    const { timer: _timer, ...shown } = hold;
    return shown;
  }

  /** Calls `listener` whenever a held topic may be tried again; returns the unsubscribe. */
  onRetry(listener: () => void): () => void {
    this.retryListeners.add(listener);
    return () => this.retryListeners.delete(listener);
  }

  /** The broker did not acknowledge `waiting` records of `topic`: hold it and check it later. */
  sendFailed(topic: string, error: Error, waiting: number, now: number): void {
    const code = kafkaErrorCode(error);
    this.metrics.outboxPublishFailures.inc({ topic, error: code });
    const before = this.retrying.get(topic) ?? { failures: 0, since: now };
    this.retrying.delete(topic);
    const delay = this.hold({ topic, error: code, message: error.message, ...before }, now);
    this.logger.warn(
      `commands to ${topic} are held (${waiting} in this batch; the other topics are sent): ` +
        `${code}: ${error.message}. Create the topic, or start its participant (the SDK creates ` +
        `it); checking again in ${delay} ms`,
    );
  }

  /** Records of `topic` were acknowledged: it flows again, if it was held. */
  sent(topic: string): void {
    const held = this.holds.get(topic) ?? this.retrying.get(topic);
    if (!held) return;
    clearTimeout(this.holds.get(topic)?.timer);
    this.holds.delete(topic);
    this.retrying.delete(topic);
    this.logger.log(
      `commands to ${topic} flow again (held since ${new Date(held.since).toISOString()})`,
    );
  }

  /** (Re)holds a topic after one more failure; returns the delay until its next check. */
  private hold(hold: Omit<TopicHold, 'nextAttemptAt'>, now: number): number {
    clearTimeout(this.holds.get(hold.topic)?.timer);
    const failures = hold.failures + 1;
    const delay = doublingDelayMs(FIRST_CHECK_MS, MAX_CHECK_MS, failures);
    const timer = setTimeout(() => void this.check(hold.topic), delay);
    timer.unref();
    this.holds.set(hold.topic, { ...hold, failures, nextAttemptAt: now + delay, timer });
    return delay;
  }

  private async check(topic: string): Promise<void> {
    const hold = this.holds.get(topic);
    if (!hold) return;
    try {
      await this.admin.checkTopic(topic);
    } catch (error) {
      if (this.holds.get(topic) !== hold) return; // sent or held anew meanwhile
      const { message } = error as Error;
      const code = kafkaErrorCode(error as Error);
      const delay = this.hold({ ...hold, error: code, message }, Date.now());
      this.logger.warn(
        `commands to ${topic} are still held after ${hold.failures + 1} failed attempts: ` +
          `${code}: ${message}; checking again in ${delay} ms`,
      );
      return;
    }
    if (this.holds.get(topic) !== hold) return;
    this.holds.delete(topic);
    this.retrying.set(topic, { failures: hold.failures, since: hold.since });
    for (const listener of this.retryListeners) listener();
  }

  onModuleDestroy(): void {
    for (const hold of this.holds.values()) clearTimeout(hold.timer);
  }
}
