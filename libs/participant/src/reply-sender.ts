// What a participant produces: replies to the orchestrator, and dead letters for what it cannot run.
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import {
  deadLetter,
  deadLetterTopic,
  describeFailure,
  encodeReply,
  isRetryable,
  readCorrelation,
  withSignature,
  type SigningKey,
  type WireMessage,
} from '@skald/protocol';
import type { RecordOrigin } from './command-consumer';
import type { Reply } from './operations';

export class ReplySender {
  constructor(
    private readonly producer: Producer,
    private readonly settings: {
      /** The participant's name: the replies' `ce_source`. */
      source: string;
      topicPrefix: string;
      /** The participant's current lifetime, aborted by stop(). */
      lifetime: () => AbortSignal;
      log: (message: string) => void;
      /** With signing: the key every reply is signed with. */
      signWith?: SigningKey;
    },
  ) {}

  async send(
    topic: string,
    correlationId: string,
    sagaId: string,
    reply: Reply,
    { traceParent }: { traceParent?: string } = {},
  ): Promise<void> {
    const record = encodeReply({
      id: randomUUID(),
      source: this.settings.source,
      time: new Date().toISOString(),
      correlationId,
      sagaId,
      outcome: reply.outcome,
      data: reply.data,
      traceParent,
    });
    const { signWith } = this.settings;
    await this.producer.send({
      topic,
      acks: -1,
      messages: [signWith ? { ...record, headers: withSignature(record, signWith) } : record],
    });
  }

  /** Parks a message it cannot run on the dead-letter topic, answering `failure` when it can. */
  async reject(
    message: WireMessage,
    origin: RecordOrigin,
    code: string,
    reason: string,
  ): Promise<void> {
    await this.park(message, origin, reason);
    const { id, sagaId, replyTo } = readCorrelation(message);
    if (id && sagaId && replyTo) {
      await this.send(replyTo, id, sagaId, {
        outcome: 'failure',
        data: { code, message: reason },
      });
    }
  }

  /** Puts a message on the dead-letter topic with its reason, and logs one line. */
  async park(message: WireMessage, origin: RecordOrigin, reason: string): Promise<void> {
    const where = `${origin.topic}[${origin.partition}]@${origin.offset}`;
    const dlq = deadLetterTopic(this.settings.topicPrefix);
    try {
      await this.producer.send({
        topic: dlq,
        acks: -1,
        messages: [deadLetter(message, reason, origin)],
      });
    } catch (error) {
      if (this.settings.lifetime().aborted || isRetryable(error)) throw error;
      // e.g. the dead letter is over the broker's size limit: skipping it is all that is left
      this.settings.log(
        `${where}: ${reason}; skipped, ${dlq} refused it (${describeFailure(error)})`,
      );
      return;
    }
    this.settings.log(`${where}: ${reason}; parked on ${dlq}`);
  }
}
