import type { Kafka } from 'kafkajs';
import { createMissingTopics } from '@skald/protocol';

/**
 * Creates the topics that do not exist yet and waits until the broker serves them. Several
 * processes may race to create the same topic: "already exists" and a metadata lag right after
 * creation (UNKNOWN_TOPIC_OR_PARTITION) are expected, so it retries for up to `timeoutMs`.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  options: {
    /** @default the broker's num.partitions */
    partitions?: number;
    /** @default 30_000 */
    timeoutMs?: number;
  } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // one client for every attempt: it is this call's own
    await createMissingTopics((attempt) => attempt(admin), topics, {
      partitions: options.partitions,
      timeoutMs: options.timeoutMs,
    });
  } finally {
    await admin.disconnect();
  }
}
