// Sends outbox records to Kafka, for the relay and the handoff alike: each signed as it leaves,
// each topic on its own (a topic the broker refuses is held, TopicHolds), traced per record.
import { Injectable } from '@nestjs/common';
import type { OutboxRecord } from '@skald/persistence';
import { MessageSigning } from '../auth/message-signing';
import { isTopicError } from '../kafka/kafka-errors';
import { KafkaPublisher } from '../kafka/kafka-publisher';
import { SkaldMetrics } from '../metrics/metrics.module';
import { endSpan, startPublishSpan, withTraceParent } from '../tracing/spans';
import { TopicHolds } from './topic-holds';

@Injectable()
export class CommandSender {
  constructor(
    private readonly publisher: KafkaPublisher,
    private readonly signing: MessageSigning,
    private readonly holds: TopicHolds,
    private readonly metrics: SkaldMetrics,
  ) {}

  /**
   * Publishes each topic's records on its own; returns the records Kafka acknowledged. A topic
   * the broker refuses is held with its records. When every topic failed and none for a reason of
   * its own, the broker is at fault: this throws, and the caller leaves every record queued.
   */
  async send(records: OutboxRecord[]): Promise<OutboxRecord[]> {
    const spans = records.map((r) => startPublishSpan(r));
    const failures = await this.publisher.publishPerTopic(
      // signed as it leaves, with the key current then (no secret or signature in the outbox)
      records.map((r, i) => ({
        topic: r.topic,
        key: r.key,
        value: r.payload,
        headers: withTraceParent(this.signing.commandHeaders(r), spans[i]),
      })),
    );
    records.forEach((r, i) => endSpan(spans[i], failures.get(r.topic)));
    const topics = new Set(records.map((r) => r.topic));
    const errors = [...failures.values()];
    if (errors.length === topics.size && !errors.some(isTopicError)) throw errors[0];
    const now = Date.now();
    for (const topic of topics) {
      const error = failures.get(topic);
      if (!error) this.holds.sent(topic);
      else
        this.holds.sendFailed(topic, error, records.filter((r) => r.topic === topic).length, now);
    }
    const sent = failures.size === 0 ? records : records.filter((r) => !failures.has(r.topic));
    this.metrics.observeOutboxAges(sent, now);
    return sent;
  }
}

/** The command ids of records (2PC messages have none). */
export function commandIdsOf(records: OutboxRecord[]): string[] {
  return records.flatMap((r) => (r.commandId ? [r.commandId] : []));
}
