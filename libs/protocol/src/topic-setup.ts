// Topic set-up, shared by the orchestrator and the participant SDK. The SDK runs on its user's own
// kafkajs, so this lib takes the admin client in and names only the part of it that it calls.

/** The part of a kafkajs `Admin` that topic set-up calls (kafkajs' own types stay out of this lib). */
export interface TopicAdmin {
  listTopics(): Promise<string[]>;
  createTopics(request: {
    topics: { topic: string; numPartitions: number; replicationFactor: number }[];
  }): Promise<boolean>;
  fetchTopicMetadata(request: { topics: string[] }): Promise<unknown>;
}

/** How a missing topic is created; an existing topic is never changed. */
export interface TopicLayout {
  /** @default -1: the broker's num.partitions */
  partitions?: number;
  /** @default -1: the broker's default.replication.factor */
  replicationFactor?: number;
}

/**
 * Creates the topics that do not exist yet and waits until the broker serves them. Existing topics
 * are left as they are, whoever made them (a participant's SDK may have created its own topic with
 * other settings). Several processes may race to create the same topic: "already exists" and a
 * metadata lag right after creation (UNKNOWN_TOPIC_OR_PARTITION) are expected, so any error is
 * retried every 200 ms for up to `timeoutMs`, then thrown.
 *
 * `withAdmin` runs one attempt with a connected admin client: the caller owns the client (the SDK
 * connects one for the call; the orchestrator reuses its long-lived one and replaces it after a
 * failed attempt).
 */
export async function createMissingTopics(
  withAdmin: (attempt: (admin: TopicAdmin) => Promise<void>) => Promise<void>,
  topics: string[],
  options: TopicLayout & {
    /** @default 30_000 */
    timeoutMs?: number;
  } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      return await withAdmin(async (admin) => {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t));
        if (missing.length) {
          await admin.createTopics({
            topics: missing.map((topic) => ({
              topic,
              numPartitions: options.partitions ?? -1,
              replicationFactor: options.replicationFactor ?? -1,
            })),
          });
        }
        await admin.fetchTopicMetadata({ topics });
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
