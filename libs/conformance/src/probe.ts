// The kit's side of Kafka. It stands where the orchestrator stands: it sends commands to the
// participant's topic, naming a reply topic of its own in ce_replyto (so no orchestrator is
// needed and no orchestrator's replies are mixed in), and reads the dead-letter topic.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { createMissingTopics, describeFailure, HEADERS, isTopicName } from '@skald/protocol';
import { ConformanceSetupError } from './errors';
import { Mailbox } from './mailbox';
import type { CompiledConformanceOptions } from './options';

/** A record the kit sends (an encoded command, or one broken on purpose). */
export interface OutgoingRecord {
  key: string;
  value: string | null;
  headers: Record<string, string>;
}

export class WireProbe {
  /** Replies on the kit's reply topic, by `ce_correlationid`. */
  readonly replies = new Mailbox(HEADERS.correlationId);
  /** Dead letters written after the kit started, by the original `ce_id`. */
  readonly deadLetters = new Mailbox(HEADERS.id);

  private constructor(
    private readonly options: CompiledConformanceOptions,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly consumers: { consumer: Consumer; groupId: string }[],
    /** The kit's own reply topic, deleted by close(). */
    readonly replyTo: string,
  ) {}

  /** Connects, checks that the participant's topic exists, creates the kit's reply topic. */
  static async open(options: CompiledConformanceOptions): Promise<WireProbe> {
    const kafka = new Kafka({
      clientId: 'skald-conformance',
      brokers: options.brokers,
      ...options.credentials,
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
    } catch (error) {
      throw new ConformanceSetupError(
        `cannot reach Kafka at ${options.brokers.join(',')}: ${describeFailure(error)}`,
        { cause: error },
      );
    }
    let probe: WireProbe | undefined;
    try {
      const { commands, deadLetters } = options.topics;
      if (!(await admin.listTopics()).includes(commands))
        throw new ConformanceSetupError(
          `topic ${commands} does not exist: start participant "${options.participant}" first ` +
            `(a participant creates its own command topic), or check --topic-prefix`,
        );
      const run = randomBytes(4).toString('hex');
      const replyTo = `${options.topicPrefix}.conformance.${options.participant}.${run}`;
      if (!isTopicName(replyTo))
        throw new ConformanceSetupError(`the kit's reply topic name "${replyTo}" is too long`);
      const withAdmin = (attempt: (a: Admin) => Promise<void>) => attempt(admin);
      await createMissingTopics(withAdmin, [replyTo], { partitions: 1 });
      // the participant needs it too; created as the orchestrator would if nobody has yet
      await createMissingTopics(withAdmin, [deadLetters]);
      const deadLetterEnds = await admin.fetchTopicOffsets(deadLetters);

      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      probe = new WireProbe(options, admin, producer, [], replyTo);
      await probe.consume(kafka, `skald-conformance-${run}-replies`, replyTo, probe.replies, true);
      const dlq = await probe.consume(
        kafka,
        `skald-conformance-${run}-dlq`,
        deadLetters,
        probe.deadLetters,
        false,
      );
      // only what is dead-lettered from now on: a first fetch before this seek only re-reads
      for (const { partition, offset } of deadLetterEnds)
        dlq.seek({ topic: deadLetters, partition, offset });
      return probe;
    } catch (error) {
      await (probe ? probe.close() : admin.disconnect());
      if (error instanceof ConformanceSetupError) throw error;
      throw new ConformanceSetupError(
        `cannot set up the kit's topics and clients: ${describeFailure(error)}`,
        { cause: error },
      );
    }
  }

  private async consume(
    kafka: Kafka,
    groupId: string,
    topic: string,
    into: Mailbox,
    fromBeginning: boolean,
  ): Promise<Consumer> {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    this.consumers.push({ consumer, groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        into.add({
          key: message.key,
          value: message.value,
          headers: message.headers,
          partition,
          offset: message.offset,
        });
        return Promise.resolve();
      },
    });
    return consumer;
  }

  /** Sends to the participant's command topic; resolves with where the record was written. */
  async send(record: OutgoingRecord): Promise<{ partition: number; offset: string }> {
    const [written] = await this.producer.send({
      topic: this.options.topics.commands,
      acks: -1,
      messages: [record],
    });
    return { partition: written.partition, offset: written.baseOffset ?? written.offset ?? '' };
  }

  /** Disconnects and removes what the kit made; resolves with what could not be removed. */
  async close(): Promise<string[]> {
    const leftovers: string[] = [];
    for (const { consumer } of this.consumers) await consumer.disconnect();
    await this.producer.disconnect();
    try {
      await this.admin.deleteTopics({ topics: [this.replyTo] });
    } catch (error) {
      leftovers.push(`topic ${this.replyTo} (${describeFailure(error)})`);
    }
    try {
      await this.admin.deleteGroups(this.consumers.map((c) => c.groupId));
    } catch (error) {
      leftovers.push(`consumer groups of this run (${describeFailure(error)})`);
    }
    await this.admin.disconnect();
    return leftovers;
  }
}
