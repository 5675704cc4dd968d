/** How long a handled record's offset may wait to be committed. */
const OFFSET_COMMIT_INTERVAL_MS = 200;

interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** What of a kafkajs Consumer this needs. */
interface OffsetCommitter {
  commitOffsets(offsets: PartitionOffset[]): Promise<void>;
}

/** What of a kafkajs Consumer `leave` needs. */
interface GroupMember {
  pause(topics: { topic: string }[]): void;
  disconnect(): Promise<void>;
}

/**
 * Commits a consumer's offsets at most every `intervalMs`, for consumers run with
 * `autoCommit: false`. kafkajs' own auto-commit sends an OffsetCommit after every batch and
 * fetches again only once it is answered: at low load that is one more broker round trip per
 * record, on the record's path. An offset is still committed only after what its record caused
 * is durable (`handled` resolved): later, never earlier. A crash or rebalance redelivers at
 * most an interval's records more, which the inboxes absorb. Nothing is armed while idle.
 */
export class OffsetCommits {
  private readonly pending = new Map<string, PartitionOffset>();
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  private handling = 0;
  private idle: (() => void) | undefined;

  constructor(
    private readonly consumer: OffsetCommitter,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = OFFSET_COMMIT_INTERVAL_MS,
  ) {}

  /** The record at `offset` of `topic`/`partition` is handled (records of a partition in order). */
  private done(topic: string, partition: number, offset: string): void {
    const next = (BigInt(offset) + 1n).toString();
    this.pending.set(`${topic}\u0000${partition}`, { topic, partition, offset: next });
    this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Handles the record at `offset` with `handle`; once it resolved, the record is done. */
  async handled(
    topic: string,
    partition: number,
    offset: string,
    handle: () => Promise<void>,
  ): Promise<void> {
    this.handling++;
    try {
      await handle();
      this.done(topic, partition, offset);
    } finally {
      if (--this.handling === 0) this.idle?.();
    }
  }

  /**
   * Leaves the group without losing handled offsets: pauses `topics` (no more records), waits
   * for the records being handled, commits, then disconnects (kafkajs cannot commit once stopped).
   */
  async leave(consumer: GroupMember, topics: string[]): Promise<void> {
    try {
      consumer.pause(topics.map((topic) => ({ topic })));
    } catch {
      // it never ran (stopped while connecting): nothing is being handled
    }
    if (this.handling > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.idle = undefined;
    await this.flush();
    await consumer.disconnect();
  }

  /** Commits what is pending now (on stop and on rebalance too); errors go to `onError`. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return this.committing;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    // one commit at a time, in order: a later offset is never overwritten by an earlier one
    this.committing = this.committing.then(() =>
      this.consumer.commitOffsets(offsets).catch(this.onError),
    );
    return this.committing;
  }
}
