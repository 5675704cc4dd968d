import type { Kafka } from 'kafkajs';

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
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  try {
    for (;;) {
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t));
        if (missing.length) {
          await admin.createTopics({
            topics: missing.map((topic) => ({ topic, numPartitions: options.partitions ?? -1 })),
          });
        }
        await admin.fetchTopicMetadata({ topics });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
