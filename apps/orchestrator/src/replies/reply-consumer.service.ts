// Reply consumer: validate envelope → engine (inbox dedupe + decide, one transaction) → offset.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  deadLetter,
  deadLetterTopic,
  decodeReply,
  ProtocolError,
  replyTopic,
  type ReplyEnvelope,
} from '@skald/protocol';
import { isTwoPhaseCommandId } from '@skald/two-phase';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { DefinitionMissingError } from '../engine/errors';
import { SagaEngine } from '../engine/saga-engine.service';
import { KafkaAdmin, topicLayout } from '../kafka/kafka-admin';
import { KafkaPublisher } from '../kafka/kafka-publisher';
import {
  KafkaSubscriptions,
  type ConsumedMessage,
  type Subscription,
} from '../kafka/kafka-subscriptions';
import { SkaldMetrics } from '../metrics/metrics.module';
import { TwoPhaseCoordinator } from '../two-phase/two-phase-coordinator.service';

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
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
  ) {}

  /** Subscribes in the background: the API and /health serve while Kafka is still unreachable. */
  onApplicationBootstrap(): void {
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
        this.subscription = await this.subscriptions.subscribe({
          groupId: `${prefix}.orchestrator`,
          topics: [replyTopic(prefix)],
          handleBatch: (messages) => this.handleBatch(messages),
        });
        return;
      } catch (error) {
        const delay = Math.min(30_000, 500 * 2 ** failures);
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

  /** One consumed batch: malformed messages parked, 2PC replies one by one, saga replies together. */
  async handleBatch(messages: ConsumedMessage[]): Promise<void> {
    const sagaReplies: { reply: ReplyEnvelope; consumed: ConsumedMessage }[] = [];
    for (const consumed of messages) {
      let reply: ReplyEnvelope;
      try {
        reply = decodeReply(consumed.message);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        await this.park(consumed, `malformed reply: ${error.message}`);
        this.metrics.replies.inc({ result: 'malformed' });
        continue;
      }
      // 2PC command ids carry their own UUID version: routed without a lookup on the saga path
      if (isTwoPhaseCommandId(reply.correlationId)) {
        this.metrics.replies.inc({ result: await this.twoPhase.handleReply(reply) });
      } else sagaReplies.push({ reply, consumed });
    }
    if (sagaReplies.length === 0) return;
    try {
      const results = await this.engine.handleReplies(sagaReplies.map((r) => r.reply));
      for (const result of results) this.metrics.replies.inc({ result });
    } catch (error) {
      if (!(error instanceof DefinitionMissingError)) throw error;
      // one reply can never apply here: apply the others one by one and park that one
      for (const { reply, consumed } of sagaReplies) await this.handleOne(reply, consumed);
    }
  }

  private async handleOne(reply: ReplyEnvelope, consumed: ConsumedMessage): Promise<void> {
    try {
      this.metrics.replies.inc({ result: await this.engine.handleReply(reply) });
    } catch (error) {
      // cannot ever apply here: park it for an operator instead of blocking the partition
      if (!(error instanceof DefinitionMissingError)) throw error;
      await this.park(consumed, error.message);
      this.metrics.replies.inc({ result: 'dead-lettered' });
    }
  }

  private async park({ message, origin }: ConsumedMessage, reason: string): Promise<void> {
    this.logger.warn(
      `${origin.topic}[${origin.partition}]@${origin.offset} parked on the dead-letter topic: ${reason}`,
    );
    await this.publisher.publish([
      { topic: deadLetterTopic(this.config.topicPrefix), ...deadLetter(message, reason, origin) },
    ]);
    this.metrics.deadLetters.inc({ topic: origin.topic });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.subscribing;
    await this.subscription?.stop();
  }
}
