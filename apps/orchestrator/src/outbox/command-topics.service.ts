// Creates the command topics of the participants the registered definitions name, so a broker
// with auto.create.topics.enable=false (common in production) serves them before any participant
// started. In the background, retried until done: neither the API nor the relay waits for it, and
// a topic still missing only holds its own commands (TopicHolds).
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { commandTopic, doublingDelayMs } from '@skald/protocol';
import { participantsOf } from '@skald/saga';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { bounded } from '../kafka/bounded';
import { KafkaAdmin, topicLayout } from '../kafka/kafka-admin';
import { SHUTDOWN_STEP_MS } from '../kafka/kafka.tokens';
import { SagaDefinitions } from '../registry/saga-definitions';

const MAX_RETRY_MS = 60_000;

@Injectable()
export class CommandTopics implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CommandTopics.name);
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private creating: Promise<void> | undefined;

  constructor(
    private readonly admin: KafkaAdmin,
    private readonly definitions: SagaDefinitions,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
  ) {}

  /** Every command topic a registered definition addresses whatever the saga, sorted. */
  topics(): string[] {
    const participants = new Set(this.definitions.list().flatMap(participantsOf));
    return [...participants].sort().map((p) => commandTopic(this.config.topicPrefix, p));
  }

  onApplicationBootstrap(): void {
    this.creating = this.createUntilDone(this.topics());
  }

  private async createUntilDone(topics: string[]): Promise<void> {
    for (let failures = 0; topics.length > 0 && !this.stopped; failures++) {
      try {
        await this.admin.ensureTopics(topics, topicLayout(this.config), 10_000);
        return;
      } catch (error) {
        const delay = doublingDelayMs(1_000, MAX_RETRY_MS, failures + 1);
        this.logger.warn(
          `cannot create the command topics ${topics.join(', ')} yet (retrying in ${delay} ms; ` +
            `their commands wait meanwhile): ${describeError(error as Error)}`,
        );
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
          setTimeout(resolve, delay).unref();
        });
      }
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    // a creation stuck on an unreachable broker is abandoned: the next start tries again
    if (this.creating) await bounded(this.creating, SHUTDOWN_STEP_MS);
  }
}

/** kafkajs reports the topics a CreateTopics request refused as an aggregate, one error each. */
function describeError(error: Error): string {
  const errors = (error as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return error.message;
  return errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
}
