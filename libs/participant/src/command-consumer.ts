// The participant's Kafka consumers of its command topic, and the loop that outlives their crashes.
// Several kafkajs consumers in one group, rather than one: a kafkajs consumer fetches from a broker,
// hands the batches to its workers and fetches again only once every batch is processed, so with
// one consumer a slow partition holds up all the others. Each member has its own fetcher, and the
// partitions spread over the members. This is as safe as several replicas of the participant: each
// member commits only the offsets of its own partitions, after their commands were handled.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { CONSUMER_TIMINGS, doublingDelayMs, OffsetCommits } from '@skald/protocol';

/** Where a command record was read (a dead letter names it). */
export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: string;
}

export interface CommandConsumerSettings {
  topic: string;
  groupId: string;
  /** Partitions consumed at once by each member. */
  concurrency: number;
  /** kafkajs consumers in the group (each with its own fetch in flight). */
  members: number;
  /** The participant's current lifetime, aborted by stop(): no consumer is (re)started after that. */
  lifetime: () => AbortSignal;
  /** Resolving commits the record's offset; throwing makes kafkajs deliver it again. */
  handle: (message: KafkaMessage, origin: RecordOrigin) => Promise<void>;
  log: (message: string) => void;
}

/** Consumes the command topic in the participant's group, with `members` kafkajs consumers. */
export class CommandConsumer {
  private readonly members: GroupMember[];

  constructor(kafka: Kafka, settings: CommandConsumerSettings) {
    this.members = Array.from({ length: settings.members }, () => new GroupMember(kafka, settings));
  }

  /** Every member in its group. */
  get consuming(): boolean {
    return this.members.every((m) => m.consuming);
  }

  set consuming(consuming: boolean) {
    for (const member of this.members) member.consuming = consuming;
  }

  /** The last crash of a member, until that member joins its group again. */
  get lastError(): string | undefined {
    return this.members.find((m) => m.lastError)?.lastError;
  }

  /** Connects, subscribes and runs every member (resolves once they run). */
  async run(): Promise<void> {
    await Promise.all(this.members.map((m) => m.run()));
  }

  /** Disconnects the members (after stop() aborted the lifetime). */
  async disconnect(): Promise<void> {
    await Promise.all(this.members.map((m) => m.disconnect()));
  }
}

/**
 * One consumer of the group. kafkajs restarts it after a crash it deems retriable; after any other
 * crash this starts a new one, with backoff, until stop().
 */
class GroupMember {
  private consumer: Consumer | undefined;
  private commits: OffsetCommits | undefined;
  /** In its group: from GROUP_JOIN until the consumer stops. */
  consuming = false;
  /** The last crash, until the consumer joins its group again. */
  lastError: string | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: CommandConsumerSettings,
  ) {}

  /** Connects a new consumer, subscribes and runs it (resolves once it runs). */
  async run(): Promise<void> {
    const { topic, lifetime, log } = this.settings;
    const consumer = this.kafka.consumer({
      groupId: this.settings.groupId,
      ...CONSUMER_TIMINGS,
      // a crash after stop() must not start the consumer again
      retry: { restartOnFailure: () => Promise.resolve(!lifetime().aborted) },
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.lastError = String(e.payload.error);
      // one kafkajs restarts by itself is in kafkajs' log (quiet when expected, as at start-up)
      if (e.payload.restart || lifetime().aborted) return;
      // kafkajs gives up on errors it deems non-retriable (e.g. "Failed to find group coordinator"
      // while a broker restarts); a participant must not stop consuming for good, so start afresh
      log(`consumer crashed: ${this.lastError}; starting a new one`);
      void this.restart(lifetime());
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.consuming = true;
      this.lastError = undefined;
    });
    consumer.on(consumer.events.STOP, () => (this.consuming = false));
    const commits = new OffsetCommits(consumer, (error) =>
      log(`could not commit offsets (their commands may come again): ${String(error)}`),
    );
    // before the partitions may move to another member
    consumer.on(consumer.events.REBALANCING, () => void commits.flush());
    this.consumer = consumer;
    this.commits = commits;
    await consumer.connect();
    // stop() came while connecting: it disconnected this consumer, which must not run now
    if (lifetime().aborted) {
      await consumer.disconnect();
      return;
    }
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: this.settings.concurrency,
      // a handled command's offset is committed shortly after (OffsetCommits): only once its
      // reply was produced
      autoCommit: false,
      eachMessage: ({ topic: from, partition, message }) =>
        commits.handled(from, partition, message.offset, () =>
          this.settings.handle(message, { topic: from, partition, offset: message.offset }),
        ),
    });
  }

  private async restart(stopped: AbortSignal): Promise<void> {
    for (let failures = 0; !stopped.aborted; failures++) {
      const backoffMs = doublingDelayMs(500, 10_000, failures + 1);
      await sleep(backoffMs, undefined, { signal: stopped }).catch(() => undefined);
      if (stopped.aborted) return;
      try {
        await this.consumer?.disconnect().catch(() => undefined);
        if (stopped.aborted) return;
        await this.run();
        if (!stopped.aborted) this.settings.log('consumer restarted');
        return;
      } catch (error) {
        this.settings.log(`consumer restart failed, retrying: ${String(error)}`);
      }
    }
  }

  /** Disconnects the current consumer, if any (after stop() aborted the lifetime). */
  async disconnect(): Promise<void> {
    // no more commands; those being handled finish and their offsets are committed first
    if (this.consumer && this.commits)
      await this.commits.leave(this.consumer, [this.settings.topic]);
  }
}
