// The in-process test tier: the orchestrator's real services (engine, store, relay, reply
// consumer, timer poller, 2PC coordinator) built by SkaldModule inside the test process, on a fresh
// clone of a migrated PostgreSQL database and the test Kafka. The module is compiled but not
// bootstrapped, so no background loop runs: the test is the loop, and drives one step at a time.
//
// To step through one reply in a debugger, with a stack running (`npm run stack` prints the
// `export DATABASE_URL=… KAFKA_BROKERS=…` line to paste), run the file itself, in one process:
//   node --inspect-brk -r @swc-node/register apps/orchestrator/test/in-process/reply.test.ts
// then attach (chrome://inspect, or VS Code "Attach to Node Process"), put a breakpoint in
// ReplyConsumer.handleBatch (src/replies/reply-consumer.service.ts) and continue. A failed test
// keeps its database and prints its URL: `psql '<url>'`, then look at skald.saga_instance,
// skald.saga_history, skald.outbox, skald.timer and skald.step_execution.
import { randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { SagaQueries, SagaStore } from '@skald/persistence';
import {
  commandTopic,
  decodeCommand,
  encodeReply,
  replyTopic,
  type CommandEnvelope,
  type WireMessage,
} from '@skald/protocol';
import type { SagaDefinition } from '@skald/saga';
import { uniqueName, waitUntil, withClonedDatabase } from '@skald/testing';
import { loadOrchestratorConfig, SkaldModule, type CompiledOrchestratorConfig } from '../../src';
import { SagaEngine } from '../../src/engine/saga-engine.service';
import { KafkaAdmin, topicLayout } from '../../src/kafka/kafka-admin';
import { SkaldMetrics } from '../../src/metrics/metrics.module';
import { CommandTopics } from '../../src/outbox/command-topics.service';
import { OutboxRelay } from '../../src/outbox/outbox-relay.service';
import { ReplyConsumer } from '../../src/replies/reply-consumer.service';
import { TimerPoller } from '../../src/timers/timer-poller.service';
import { TwoPhaseCoordinator } from '../../src/two-phase/two-phase-coordinator.service';

export interface InProcessOptions {
  sagas: readonly SagaDefinition[];
  /** Extra orchestrator environment, e.g. `{ SKALD_BREAKER_MODE: 'fail-fast' }`. */
  env?: NodeJS.ProcessEnv;
  /** Participants of 2PC transactions, whose command topics no saga definition names. */
  participants?: readonly string[];
}

/** Outcome and data of a participant's reply. */
export type ReplyBody =
  | { outcome: 'success'; data?: unknown }
  | { outcome: 'failure' | 'error'; data: { code: string; message: string } };

export class InProcessOrchestrator {
  readonly engine: SagaEngine;
  readonly twoPhase: TwoPhaseCoordinator;
  private readonly replies: ReplyConsumer;
  private readonly relay: OutboxRelay;
  private readonly timers: TimerPoller;
  private readonly queries: SagaQueries;
  /** The orchestrator's own connection pool and store, for tests that interleave transactions. */
  readonly dataSource: DataSource;
  readonly store: SagaStore;
  private delivered = 0;

  private constructor(
    private readonly app: TestingModule,
    readonly config: CompiledOrchestratorConfig,
  ) {
    this.engine = app.get(SagaEngine);
    this.twoPhase = app.get(TwoPhaseCoordinator);
    this.replies = app.get(ReplyConsumer);
    this.relay = app.get(OutboxRelay);
    this.timers = app.get(TimerPoller);
    this.queries = app.get(SagaQueries);
    this.dataSource = app.get(DataSource);
    this.store = app.get(SagaStore);
  }

  /**
   * Runs `body` against an orchestrator on a database of its own (dropped afterwards, kept when
   * `body` throws) and a topic prefix of its own; closes the app whatever happens.
   */
  static run<T>(
    options: InProcessOptions,
    body: (skald: InProcessOrchestrator) => Promise<T>,
  ): Promise<T> {
    return withClonedDatabase(async (db) => {
      const config = loadOrchestratorConfig({
        DATABASE_URL: db.url,
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        SKALD_TOPIC_PREFIX: uniqueName('inproc'),
        SKALD_DB_POOL_SIZE: '4',
        LOG_LEVEL: 'warn',
        // commands wait in the outbox for publishOutbox(), unless a test turns the handoff on
        SKALD_COMMAND_HANDOFF: 'false',
        ...options.env,
      });
      const app = await Test.createTestingModule({
        imports: [SkaldModule.forRoot({ config, sagas: options.sagas })],
      }).compile();
      try {
        const skald = new InProcessOrchestrator(app, config);
        await skald.createCommandTopics(options.participants ?? []);
        return await body(skald);
      } finally {
        await app.close();
      }
    });
  }

  /** One of the orchestrator's providers, for a test that steps into its inner workings. */
  provider<T>(type: new (...args: never[]) => T): T {
    return this.app.get(type);
  }

  /** What CommandTopics does in the background at bootstrap, done here before the test starts. */
  private async createCommandTopics(participants: readonly string[]): Promise<void> {
    const topics = [
      ...this.app.get(CommandTopics).topics(),
      ...participants.map((p) => commandTopic(this.config.topicPrefix, p)),
    ];
    await this.app.get(KafkaAdmin).ensureTopics(topics, topicLayout(this.config));
  }

  /** The commands waiting in the outbox, oldest first, decoded as their participant will get them. */
  async queuedCommands(): Promise<CommandEnvelope[]> {
    const rows: { key: string; headers: Record<string, string>; payload: string }[] =
      await this.dataSource.query(
        'SELECT message_key AS key, headers, payload FROM skald.outbox ORDER BY id',
      );
    return rows.map((r) => decodeCommand({ key: r.key, value: r.payload, headers: r.headers }));
  }

  /** The one queued command of `sagaId` (throws when there is not exactly one). */
  async queuedCommand(sagaId: string): Promise<CommandEnvelope> {
    const queued = (await this.queuedCommands()).filter((c) => c.sagaId === sagaId);
    if (queued.length !== 1)
      throw new Error(`saga ${sagaId} has ${queued.length} queued commands, not one`);
    return queued[0];
  }

  /** A participant's reply to `command`, as the record it would write to the reply topic. */
  replyTo(command: CommandEnvelope, reply: ReplyBody): ReturnType<typeof encodeReply> {
    return encodeReply({
      id: randomUUID(),
      source: `${command.command}-participant`,
      time: new Date().toISOString(),
      correlationId: command.id,
      sagaId: command.sagaId,
      outcome: reply.outcome,
      data: reply.data ?? null,
    });
  }

  /** Hands records to the reply consumer as one consumed batch, the way its Kafka consumer does. */
  async deliver(...messages: WireMessage[]): Promise<void> {
    const topic = replyTopic(this.config.topicPrefix);
    await this.replies.handleBatch(
      messages.map((message) => ({
        message,
        origin: { topic, partition: 0, offset: String(this.delivered++) },
      })),
    );
  }

  /** Runs the relay until nothing sendable is left: commands go to Kafka, their timeouts start. */
  async publishOutbox(): Promise<void> {
    while (await this.relay.publishBatch());
  }

  /** Fires every timer due now (rounds of the timer poller); returns how many rounds fired one. */
  async fireDueTimers(): Promise<number> {
    let fired = 0;
    while (await this.timers.fireDue()) fired++;
    return fired;
  }

  /** Fires due timers until `check` holds (timers fire on the clock: this waits for them). */
  async fireTimersUntil(what: string, check: () => Promise<boolean>): Promise<void> {
    await waitUntil(
      async () => {
        await this.fireDueTimers();
        return check();
      },
      { what, timeoutMs: 5_000 },
    );
  }

  /** What became of the replies delivered so far (applied, duplicate, stale, …), as the consumer counted them. */
  async replyResults(): Promise<Record<string, number>> {
    const { values } = await this.app.get(SkaldMetrics).replies.get();
    return Object.fromEntries(values.map((v) => [String(v.labels.result), v.value]));
  }

  async saga(id: string) {
    const saga = await this.queries.findSaga(id);
    if (!saga) throw new Error(`no saga ${id}`);
    return saga;
  }

  /** The saga's history entry types, oldest first. */
  async historyTypes(id: string): Promise<string[]> {
    return (await this.queries.history(id)).map((h) => h.type);
  }

  /** Runs a query on the orchestrator's own database (to assert on rows the API does not show). */
  sql<R>(text: string, parameters: unknown[] = []): Promise<R[]> {
    return this.dataSource.query(text, parameters);
  }
}
