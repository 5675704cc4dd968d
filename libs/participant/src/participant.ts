// No NestJS here: the SDK must be usable from any Node service.
// The public Participant: handler registration, start/stop and health. The consumer lifecycle is
// command-consumer.ts, one command's handling command-dispatcher.ts, what it produces reply-sender.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import {
  commandTopic,
  deadLetterTopic,
  DEFAULT_TOPIC_PREFIX,
  fixKafkajsIdleTimers,
  signingKeyProblems,
  type Phase,
} from '@skald/protocol';
import { CommandConsumer } from './command-consumer';
import { CommandDispatcher, twoPhaseInvoker } from './command-dispatcher';
import { runSchema } from './database';
import { ParticipantConfigError } from './errors';
import { checkLogin, createKafka, isKafkaClient } from './kafka-client';
import { ensureTopics } from './topics';
import { PARTICIPANT_SCHEMA_SQL } from './schema';
import { InDoubtResolver } from './in-doubt';
import { compilePruning, Pruner } from './pruning';
import { ReplySender } from './reply-sender';
import {
  compileLog,
  participantTracer,
  type ParticipantLogger,
  type SdkLog,
} from './observability';
import type { CommandHandler, ParticipantHealth, ParticipantOptions } from './options';

const NAME = /^[A-Za-z0-9._-]{1,100}$/;
const defaultClientId = (name: string) => `skald-participant-${name}`;

export class Participant {
  private readonly handlers = new Map<string, CommandHandler>();
  private readonly kafka: Kafka;
  private readonly prefix: string;
  private readonly topic: string;
  private readonly log: SdkLog;
  private readonly logger: ParticipantLogger | undefined;
  private readonly groupId: string;
  private readonly consumer: CommandConsumer;
  private dispatcher: CommandDispatcher | undefined;
  private producer: Producer | undefined;
  private inDoubt: InDoubtResolver | undefined;
  private readonly pruner: Pruner | undefined;
  /** Aborted by stop(): no consumer is (re)started after that, and waits for one end. */
  private lifetime = new AbortController();
  private readonly currentLifetime = () => this.lifetime.signal;

  constructor(private readonly options: ParticipantOptions) {
    fixKafkajsIdleTimers(); // kafkajs 2.2.4 burns CPU on a 1 ms timer per idle connection
    if (!NAME.test(options.name)) {
      throw new ParticipantConfigError(
        `participant name ${JSON.stringify(options.name)} must be 1-100 letters, digits, ".", "_" or "-"`,
      );
    }
    const consumers = options.consumers ?? 2;
    if (!Number.isInteger(consumers) || consumers < 1 || consumers > 32) {
      throw new ParticipantConfigError(
        `${options.name}: consumers must be an integer between 1 and 32, got ${consumers}`,
      );
    }
    const signingProblems = options.signing
      ? signingKeyProblems(options.signing.keys ?? [], `${options.name}: signing.keys`)
      : [];
    if (signingProblems.length > 0) throw new ParticipantConfigError(signingProblems.join('; '));
    ({ log: this.log, logger: this.logger } = compileLog(options));
    const pruning = compilePruning(options.name, options.pruning);
    if (options.database && pruning)
      this.pruner = new Pruner(options.database, options.name, pruning, this.log);
    this.kafka = isKafkaClient(options.kafka)
      ? options.kafka
      : createKafka(options.kafka, defaultClientId(options.name), this.log);
    this.prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    this.topic = commandTopic(this.prefix, options.name);
    this.groupId = `${this.prefix}.participant.${options.name}`;
    this.consumer = new CommandConsumer(this.kafka, {
      topic: this.topic,
      groupId: this.groupId,
      concurrency: options.concurrency ?? 4,
      members: consumers,
      lifetime: this.currentLifetime,
      handle: (message, origin) => this.dispatcher!.handle(message, origin),
      log: this.log,
    });
  }

  private register(phase: Phase, command: string, handler: CommandHandler): this {
    const key = `${phase}:${command}`;
    if (this.handlers.has(key))
      throw new ParticipantConfigError(
        `${this.options.name}: a ${phase} handler for "${command}" is already registered`,
      );
    this.handlers.set(key, handler);
    return this;
  }

  /** Handles the forward command `command` (phase `execute`). */
  on<P = unknown, R = unknown>(command: string, handler: CommandHandler<P, R>): this {
    return this.register('execute', command, handler as CommandHandler);
  }

  /** Handles the compensation command `command` (phase `compensate`), e.g. `cancel`. */
  onCompensate<P = unknown, R = unknown>(command: string, handler: CommandHandler<P, R>): this {
    return this.register('compensate', command, handler as CommandHandler);
  }

  /**
   * 2PC prepare of `command`: validate and reserve (lock or hold) what commit will need, in `tx`,
   * and return what commit needs (→ YES vote, logged as `prepared` in the same transaction).
   * Throw BusinessRefusal to vote NO; any other error answers `error` (the prepare is re-sent).
   */
  onPrepare<P = unknown, R = unknown>(command: string, handler: CommandHandler<P, R>): this {
    return this.register('prepare', command, handler as CommandHandler);
  }

  /** 2PC commit: make the prepared work final. Runs once per transaction; `context.prepared` is the prepare's result. */
  onCommit<P = unknown, R = unknown>(command: string, handler: CommandHandler<P, R>): this {
    return this.register('commit', command, handler as CommandHandler);
  }

  /** 2PC abort: release what prepare held. Runs once, and only if prepare voted YES here. */
  onAbort<P = unknown, R = unknown>(command: string, handler: CommandHandler<P, R>): this {
    return this.register('abort', command, handler as CommandHandler);
  }

  /** Connects, creates the tables when asked, and starts consuming. */
  async start(): Promise<void> {
    this.lifetime = new AbortController();
    const twoPhase = [...this.handlers.keys()].some((k) => /^(prepare|commit|abort):/.test(k));
    if (twoPhase && !this.options.database)
      throw new ParticipantConfigError(
        `${this.options.name}: 2PC handlers need \`database\` (the prepare log lives there)`,
      );
    if (!isKafkaClient(this.options.kafka))
      await checkLogin(this.options.kafka, defaultClientId(this.options.name));
    if (this.options.createTables && this.options.database)
      await runSchema(this.options.database, PARTICIPANT_SCHEMA_SQL);
    await ensureTopics(this.kafka, [this.topic, deadLetterTopic(this.prefix)]);
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    const replies = new ReplySender(this.producer, {
      source: this.options.name,
      topicPrefix: this.prefix,
      lifetime: this.currentLifetime,
      log: this.log,
      signWith: this.options.signing?.keys[0],
    });
    this.dispatcher = new CommandDispatcher(this.handlers, this.options, replies, {
      lifetime: this.currentLifetime,
      log: this.log,
      logger: this.logger,
      tracer: participantTracer(this.options.tracerProvider),
      participant: this.options.name,
      groupId: this.groupId,
      onPrepared: () => this.inDoubt?.prepared(),
    });
    await this.consumer.run();
    this.pruner?.start();
    if (twoPhase && this.options.twoPhase?.coordinatorUrl) {
      this.inDoubt = new InDoubtResolver({
        db: this.options.database!,
        participant: this.options.name,
        coordinatorUrl: this.options.twoPhase.coordinatorUrl,
        apiKey: this.options.twoPhase.apiKey,
        inDoubtAfterMs: this.options.twoPhase.inDoubtAfterMs ?? 30_000,
        checkEveryMs: this.options.twoPhase.checkEveryMs ?? 5_000,
        rescanEveryMs: this.options.twoPhase.rescanEveryMs ?? 60_000,
        askAgainMaxMs: this.options.twoPhase.askAgainMaxMs ?? 60_000,
        invoke: (t) =>
          twoPhaseInvoker(this.handlers, {
            sagaId: t.transactionId,
            step: t.step,
            command: t.command,
            data: t.request,
            id: '',
            attempt: 0,
          }),
        log: this.log,
      });
      this.inDoubt.start();
    }
  }

  /**
   * Stops fetching, lets in-flight handlers finish, commits, disconnects: all within
   * shutdownTimeoutMs. With the broker gone the disconnects may not finish; stop() returns anyway,
   * and nothing is started again.
   */
  async stop(): Promise<void> {
    this.lifetime.abort();
    const timeoutMs = this.options.shutdownTimeoutMs ?? 10_000;
    const deadline = new AbortController();
    const timedOut = sleep(timeoutMs, 'timed out' as const, { signal: deadline.signal });
    const outcome = await Promise.race([this.disconnect(), timedOut.catch(() => undefined)]);
    deadline.abort();
    if (outcome === 'timed out')
      this.log(`stop(): not disconnected after ${timeoutMs} ms (shutdownTimeoutMs); returning`);
    this.consumer.consuming = false;
  }

  private async disconnect(): Promise<void> {
    await this.inDoubt?.stop();
    await this.pruner?.stop();
    await this.consumer.disconnect().catch((e: unknown) => this.log(`consumer: ${String(e)}`));
    await this.producer?.disconnect().catch((e: unknown) => this.log(`producer: ${String(e)}`));
  }

  /** For your health endpoint: up while the consumer is in its group; 2PC transactions in doubt. */
  health(): ParticipantHealth {
    return {
      status: this.consumer.consuming && !this.consumer.lastError ? 'up' : 'down',
      consuming: this.consumer.consuming,
      ...(this.consumer.lastError ? { lastError: this.consumer.lastError } : {}),
      ...(this.inDoubt ? { inDoubt: this.inDoubt.inDoubt() } : {}),
    };
  }
}

/**
 * Creates a participant: register handlers with `.on()` / `.onCompensate()`, then `start()`.
 *
 * @example
 * const cars = createParticipant({ name: 'cars', kafka: { brokers: ['localhost:9092'] }, database: pool })
 *   .on('reserve', async (req: { model: string }, { tx }) => {
 *     const [car] = await tx!.query<{ id: string }>('INSERT INTO cars (model) VALUES ($1) RETURNING id', [req.model]);
 *     return { id: car.id };
 *   })
 *   .onCompensate('cancel', async (req: { id: string }, { tx }) => {
 *     await tx!.query('DELETE FROM cars WHERE id = $1', [req.id]);
 *   });
 * await cars.start();
 */
export function createParticipant(options: ParticipantOptions): Participant {
  return new Participant(options);
}
