// Reply consumer: signature → validate envelope → engine (inbox dedupe + decide, one transaction)
// → offset. A reply that can never apply (badly signed, unsigned from a participant that must sign,
// malformed, or failing for a reason a retry cannot change) is parked on the dead-letter topic, so
// the replies behind it on its partition are not held up.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  deadLetter,
  doublingDelayMs,
  deadLetterTopic,
  decodeReply,
  describeFailure,
  isRetryable,
  ProtocolError,
  replyTopic,
  type ReplyEnvelope,
  type SignatureFailure,
} from '@skald/protocol';
import { isTwoPhaseCommandId } from '@skald/two-phase';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import type { ReplyResult, UnsignedRefusal } from '../engine/reply-batch';
import { MessageSigning, unsignedFrom } from '../auth/message-signing';
import { SagaEngine } from '../engine/saga-engine.service';
import { KafkaAdmin, topicLayout } from '../kafka/kafka-admin';
import { bounded } from '../kafka/bounded';
import { KafkaPublisher } from '../kafka/kafka-publisher';
import { SHUTDOWN_STEP_MS } from '../kafka/kafka.tokens';
import {
  KafkaSubscriptions,
  type ConsumedMessage,
  type Subscription,
} from '../kafka/kafka-subscriptions';
import { SkaldMetrics } from '../metrics/metrics.module';
import { endingSpans, startReplySpan } from '../tracing/spans';
import { TwoPhaseCoordinator } from '../two-phase/two-phase-coordinator.service';

/** The unsigned replies of one batch, and the participant of each refused for it. */
class UnsignedReplies {
  private readonly replies = new Set<ReplyEnvelope>();
  private readonly refusedFrom = new Map<ReplyEnvelope, string>();

  constructor(private readonly signing: MessageSigning) {}

  add(reply: ReplyEnvelope): void {
    this.replies.add(reply);
  }

  /** For the engine: refuses an unsigned reply of a participant that must sign. */
  readonly refuse: UnsignedRefusal = (reply, participant) => {
    if (!this.replies.has(reply) || !this.signing.requiredFor(participant)) return false;
    this.refusedFrom.set(reply, participant);
    return true;
  };

  participantOf(reply: ReplyEnvelope): string {
    return this.refusedFrom.get(reply)!;
  }
}

/** The consumer group of every orchestrator instance on `<prefix>.replies`. */
export function replyConsumerGroup(topicPrefix: string): string {
  return `${topicPrefix}.orchestrator`;
}

@Injectable()
export class ReplyConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReplyConsumer.name);
  private subscription: Subscription | undefined;
  private subscribing: Promise<void> | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly engine: SagaEngine,
    private readonly twoPhase: TwoPhaseCoordinator,
    private readonly subscriptions: KafkaSubscriptions,
    private readonly admin: KafkaAdmin,
    private readonly publisher: KafkaPublisher,
    private readonly metrics: SkaldMetrics,
    private readonly signing: MessageSigning,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
  ) {}

  /** Subscribes in the background: the API and /health serve while Kafka is still unreachable. */
  onApplicationBootstrap(): void {
    if (this.signing.enabled) this.logger.log(this.signing.describe());
    this.subscribing = this.subscribeUntilStopped();
  }

  private async subscribeUntilStopped(): Promise<void> {
    const prefix = this.config.topicPrefix;
    for (let failures = 0; !this.stopped; failures++) {
      try {
        await this.admin.ensureTopics(
          [replyTopic(prefix), deadLetterTopic(prefix)],
          topicLayout(this.config),
        );
        const subscription = await this.subscriptions.subscribe({
          groupId: replyConsumerGroup(prefix),
          topics: [replyTopic(prefix)],
          members: this.config.replyConsumers,
          handleBatch: (messages) => this.handleBatch(messages),
        });
        // a subscription that came through after shutdown began (see onModuleDestroy) goes at once
        if (this.stopped) await subscription.stop();
        else this.subscription = subscription;
        return;
      } catch (error) {
        const delay = doublingDelayMs(500, 30_000, failures + 1);
        this.logger.warn(
          `cannot consume ${replyTopic(prefix)} yet (retrying in ${delay} ms): ${(error as Error).message}`,
        );
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
          setTimeout(resolve, delay);
        });
      }
    }
  }

  /**
   * One consumed batch: badly signed and malformed messages parked, 2PC replies one by one, saga
   * replies together.
   */
  async handleBatch(messages: ConsumedMessage[]): Promise<void> {
    const receivedAt = Date.now();
    const sagaReplies: { reply: ReplyEnvelope; consumed: ConsumedMessage }[] = [];
    const unsigned = new UnsignedReplies(this.signing);
    for (const consumed of messages) {
      // before decoding: a forgery is refused as one, however well formed
      const signature = this.signing.checkReply(consumed.message);
      if ('refused' in signature) {
        await this.refuse(consumed, signature.refused, signature.reason);
        continue;
      }
      let reply: ReplyEnvelope;
      try {
        reply = decodeReply(consumed.message);
      } catch (error) {
        // decoding is pure: whatever it throws, it throws on every delivery
        const why = error instanceof ProtocolError ? error.message : describeFailure(error);
        await this.park(consumed, `malformed reply: ${why}`);
        this.metrics.replies.inc({ result: 'malformed' });
        continue;
      }
      if (!signature.signed) unsigned.add(reply);
      // 2PC command ids carry their own UUID version: routed without a lookup on the saga path
      if (isTwoPhaseCommandId(reply.correlationId)) {
        await endingSpans([this.replySpan(reply, consumed)], () =>
          this.applyOrPark(consumed, reply, unsigned, () =>
            this.twoPhase.handleReply(reply, unsigned.refuse),
          ),
        );
      } else sagaReplies.push({ reply, consumed });
    }
    if (sagaReplies.length === 0) return;
    await endingSpans(
      sagaReplies.map(({ reply, consumed }) => this.replySpan(reply, consumed)),
      () => this.applySagaReplies(sagaReplies, unsigned, receivedAt),
    );
  }

  private replySpan(reply: ReplyEnvelope, { origin }: ConsumedMessage) {
    return startReplySpan(reply, origin.topic, replyConsumerGroup(this.config.topicPrefix));
  }

  /** The saga replies of a batch, in one engine transaction when they all can apply. */
  private async applySagaReplies(
    sagaReplies: { reply: ReplyEnvelope; consumed: ConsumedMessage }[],
    unsigned: UnsignedReplies,
    receivedAt: number,
  ): Promise<void> {
    let results: ReplyResult[];
    try {
      results = await this.engine.handleReplies(
        sagaReplies.map((r) => r.reply),
        { refuseUnsigned: unsigned.refuse, receivedAt },
      );
    } catch (error) {
      this.rethrowIfTransient(error);
      // one reply can never apply: apply the others one by one and park that one
      for (const { reply, consumed } of sagaReplies)
        await this.applyOrPark(consumed, reply, unsigned, () =>
          this.engine.handleReply(reply, { refuseUnsigned: unsigned.refuse, receivedAt }),
        );
      return;
    }
    for (const [i, { reply, consumed }] of sagaReplies.entries())
      await this.settle(consumed, reply, results[i], unsigned);
  }

  /** Applies one reply; parks it when it fails for good (its transaction rolled back: no saga changed). */
  private async applyOrPark(
    consumed: ConsumedMessage,
    reply: ReplyEnvelope,
    unsigned: UnsignedReplies,
    apply: () => Promise<ReplyResult>,
  ): Promise<void> {
    let result: ReplyResult;
    try {
      result = await apply();
    } catch (error) {
      this.rethrowIfTransient(error);
      await this.park(consumed, `reply cannot be applied: ${describeFailure(error)}`);
      this.metrics.replies.inc({ result: 'dead-lettered' });
      return;
    }
    await this.settle(consumed, reply, result, unsigned);
  }

  /**
   * Counts what became of a reply, and parks one refused as unsigned: its transaction changed
   * nothing but the inbox, which now knows its id (a redelivery of it is a duplicate).
   */
  private async settle(
    consumed: ConsumedMessage,
    reply: ReplyEnvelope,
    result: ReplyResult,
    unsigned: UnsignedReplies,
  ): Promise<void> {
    if (result === 'unsigned')
      await this.refuse(consumed, 'missing', unsignedFrom(unsigned.participantOf(reply)));
    else this.metrics.replies.inc({ result });
  }

  /** A reply refused by the signature check: parked, counted by check, never applied. */
  private async refuse(
    consumed: ConsumedMessage,
    check: SignatureFailure,
    reason: string,
  ): Promise<void> {
    await this.park(consumed, `reply refused, signature check failed (${check}): ${reason}`);
    this.metrics.replySignatureRefusals.inc({ check });
  }

  /** A transient failure (or any while stopping, which may be the shutdown itself) retries the batch. */
  private rethrowIfTransient(error: unknown): void {
    if (this.stopped || isRetryable(error)) throw error;
  }

  private async park({ message, origin }: ConsumedMessage, reason: string): Promise<void> {
    const where = `${origin.topic}[${origin.partition}]@${origin.offset}`;
    try {
      await this.publisher.publish([
        { topic: deadLetterTopic(this.config.topicPrefix), ...deadLetter(message, reason, origin) },
      ]);
    } catch (error) {
      this.rethrowIfTransient(error);
      // e.g. the dead letter is over the broker's size limit: skipping it is all that is left
      this.logger.error(
        `${where} skipped, the dead-letter topic refused it (${describeFailure(error)}); it was: ${reason}`,
      );
      return;
    }
    this.logger.warn(`${where} parked on the dead-letter topic: ${reason}`);
    this.metrics.deadLetters.inc({ topic: origin.topic });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    // joining the group on a broker that is going away can take kafkajs' retries (tens of
    // seconds): shutdown does not wait for it, the subscription stops itself if it comes through
    await bounded(this.subscribing ?? Promise.resolve(), SHUTDOWN_STEP_MS);
    await this.subscription?.stop();
  }
}
