// Test rig: plays the orchestrator's side of the wire (sends commands, collects replies and dead letters).
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import {
  commandTopic,
  deadLetterTopic,
  decodeReply,
  encodeCommand,
  replyTopic,
  type CommandEnvelope,
  type ReplyEnvelope,
  type WireMessage,
} from '@skald/protocol';
import { ensureTopics } from '@skald/participant';
import { uniqueName } from '@skald/testing';

export class CommandRig {
  readonly prefix = uniqueName('p');
  private readonly kafka: Kafka;

  constructor(readonly brokers: string[] = process.env.KAFKA_BROKERS!.split(',')) {
    this.kafka = new Kafka({
      clientId: 'rig',
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 20, maxRetryTime: 2_000 },
    });
  }
  readonly replies: ReplyEnvelope[] = [];
  /** Every record on the reply topic, as it came (headers included). */
  readonly replyRecords: WireMessage[] = [];
  readonly deadLetters: { reason: string; message: WireMessage }[] = [];
  /** Replies that do not decode (why, for each). */
  readonly refusedReplies: string[] = [];
  private producer!: Producer;
  private consumer!: Consumer;

  async start(): Promise<void> {
    await ensureTopics(this.kafka, [replyTopic(this.prefix), deadLetterTopic(this.prefix)]);
    this.producer = this.kafka.producer();
    this.consumer = this.kafka.consumer({ groupId: uniqueName('rig'), maxWaitTimeInMs: 50 });
    await Promise.all([this.producer.connect(), this.consumer.connect()]);
    await this.consumer.subscribe({
      topics: [replyTopic(this.prefix), deadLetterTopic(this.prefix)],
      fromBeginning: true,
    });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const wire = { key: message.key, value: message.value, headers: message.headers };
        if (topic === replyTopic(this.prefix)) {
          this.replyRecords.push(wire);
          try {
            this.replies.push(decodeReply(wire));
          } catch (error) {
            // a reply the orchestrator would refuse: a bug of the participant's, for tests to see
            this.refusedReplies.push((error as Error).message);
          }
        } else
          this.deadLetters.push({
            reason: message.headers?.skald_dlq_reason?.toString() ?? '',
            message: wire,
          });
      },
    });
  }

  command(participant: string, overrides: Partial<CommandEnvelope> = {}): CommandEnvelope {
    return {
      id: randomUUID(),
      source: 'rig',
      command: 'reserve',
      time: new Date().toISOString(),
      sagaId: randomUUID(),
      step: 'reserve-car',
      attempt: 1,
      run: 1,
      phase: 'execute',
      replyTo: replyTopic(this.prefix),
      data: { model: 'mini' },
      ...overrides,
    };
  }

  async send(participant: string, ...commands: CommandEnvelope[]): Promise<void> {
    await this.sendRaw(participant, ...commands.map((c) => encodeCommand(c)));
  }

  /** Sends records as given (`partition` pins one); resolves with the offset of each. */
  async sendRaw(
    participant: string,
    ...messages: {
      key: string | Buffer | null;
      value: string | Buffer | null;
      headers?: Record<string, string | Buffer>;
      partition?: number;
    }[]
  ): Promise<string[]> {
    const offsets: string[] = [];
    // one send per record: kafkajs reports one base offset per partition and send
    for (const message of messages) {
      const [sent] = await this.producer.send({
        topic: commandTopic(this.prefix, participant),
        acks: -1,
        messages: [message],
      });
      offsets.push(sent.baseOffset!);
    }
    return offsets;
  }

  async waitForReplies(
    correlationId: string,
    count = 1,
    timeoutMs = 20_000,
  ): Promise<ReplyEnvelope[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.replies.filter((r) => r.correlationId === correlationId);
      if (found.length >= count) return found;
      if (Date.now() > deadline)
        throw new Error(`expected ${count} replies to ${correlationId}, got ${found.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.producer.disconnect(), this.consumer.disconnect()]);
  }
}
