// No NestJS here: the SDK must be usable from any Node service.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, Partitioners, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import {
  commandTopic,
  deadLetter,
  deadLetterTopic,
  decodeCommand,
  DEFAULT_TOPIC_PREFIX,
  describeFailure,
  doublingDelayMs,
  encodeReply,
  isRetryable,
  ProtocolError,
  PROTOCOL_ERROR_CODES,
  readCorrelation,
  type CommandEnvelope,
  type Phase,
  type WireMessage,
} from '@skald/protocol';
import { runSchema, type OpenTransaction } from './database';
import { ParticipantConfigError } from './errors';
import { createKafka } from './kafka-client';
import { ensureTopics } from './topics';
import {
  processFence,
  processWithDatabase,
  processWithoutDatabase,
  type ForwardRecord,
  type Reply,
} from './operations';
import { PARTICIPANT_SCHEMA_SQL } from './schema';
import { InDoubtResolver } from './in-doubt';
import { processDecision, processPrepare, type InvokeTwoPhase } from './two-phase';
import type { CommandHandler, ParticipantHealth, ParticipantOptions } from './options';

const NAME = /^[A-Za-z0-9._-]{1,100}$/;

export class Participant {
  private readonly handlers = new Map<string, CommandHandler>();
  private readonly kafka: Kafka;
  private readonly prefix: string;
  private readonly log: (message: string) => void;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private consuming = false;
  private inDoubt: InDoubtResolver | undefined;
  private lastError: string | undefined;
  /** Aborted by stop(): no consumer is (re)started after that, and waits for one end. */
  private lifetime = new AbortController();

  constructor(private readonly options: ParticipantOptions) {
    if (!NAME.test(options.name)) {
      throw new ParticipantConfigError(
        `participant name ${JSON.stringify(options.name)} must be 1-100 letters, digits, ".", "_" or "-"`,
      );
    }
    this.log = options.log ?? ((m) => console.warn(`[skald:${options.name}] ${m}`)); // eslint-disable-line no-console
    this.kafka =
      options.kafka instanceof Kafka
        ? options.kafka
        : createKafka(options.kafka, `skald-participant-${options.name}`, this.log);
    this.prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
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
    if (this.options.createTables && this.options.database)
      await runSchema(this.options.database, PARTICIPANT_SCHEMA_SQL);
    const topic = commandTopic(this.prefix, this.options.name);
    await ensureTopics(this.kafka, [topic, deadLetterTopic(this.prefix)]);
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    await this.runConsumer(topic);
    if (twoPhase && this.options.twoPhase?.coordinatorUrl) {
      this.inDoubt = new InDoubtResolver({
        db: this.options.database!,
        participant: this.options.name,
        coordinatorUrl: this.options.twoPhase.coordinatorUrl,
        inDoubtAfterMs: this.options.twoPhase.inDoubtAfterMs ?? 30_000,
        checkEveryMs: this.options.twoPhase.checkEveryMs ?? 5_000,
        askAgainMaxMs: this.options.twoPhase.askAgainMaxMs ?? 60_000,
        invoke: (t) =>
          this.invokeTwoPhase({
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

  /** Calls the 2PC handler of `phase` for a command (or an in-doubt record) inside `tx`. */
  private invokeTwoPhase(
    c: Pick<CommandEnvelope, 'sagaId' | 'step' | 'command' | 'data' | 'id' | 'attempt'>,
  ): InvokeTwoPhase {
    return (invoked, tx, prepared) => {
      const handler = this.handlers.get(`${invoked}:${c.command}`);
      // a decision without a handler has nothing to apply beyond the prepare log's state
      if (!handler) return Promise.resolve({});
      return Promise.resolve(
        handler(c.data, {
          sagaId: c.sagaId,
          step: c.step,
          attempt: c.attempt,
          run: 1,
          phase: invoked,
          command: c.command,
          commandId: c.id,
          tx,
          transaction: tx.raw,
          prepared,
        }),
      );
    };
  }

  private async runConsumer(topic: string): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `${this.prefix}.participant.${this.options.name}`,
      maxWaitTimeInMs: 50,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      // a crash after stop() must not start the consumer again
      retry: { restartOnFailure: () => Promise.resolve(!this.lifetime.signal.aborted) },
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.lastError = String(e.payload.error);
      // one kafkajs restarts by itself is in kafkajs' log (quiet when expected, as at start-up)
      if (e.payload.restart || this.lifetime.signal.aborted) return;
      // kafkajs gives up on errors it deems non-retriable (e.g. "Failed to find group coordinator"
      // while a broker restarts); a participant must not stop consuming for good, so start afresh
      this.log(`consumer crashed: ${this.lastError}; starting a new one`);
      void this.restartConsumer(topic, this.lifetime.signal);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.consuming = true;
      this.lastError = undefined;
    });
    consumer.on(consumer.events.STOP, () => (this.consuming = false));
    this.consumer = consumer;
    await consumer.connect();
    // stop() came while connecting: it disconnected this consumer, which must not run now
    if (this.lifetime.signal.aborted) {
      await consumer.disconnect();
      return;
    }
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: this.options.concurrency ?? 4,
      // resolving commits the offset: only after the reply was produced
      eachMessage: ({ topic: from, partition, message }) =>
        this.onMessage(message, { topic: from, partition, offset: message.offset }),
    });
  }

  private async restartConsumer(topic: string, stopped: AbortSignal): Promise<void> {
    for (let failures = 0; !stopped.aborted; failures++) {
      const backoffMs = doublingDelayMs(500, 10_000, failures + 1);
      await sleep(backoffMs, undefined, { signal: stopped }).catch(() => undefined);
      if (stopped.aborted) return;
      try {
        await this.consumer?.disconnect().catch(() => undefined);
        if (stopped.aborted) return;
        await this.runConsumer(topic);
        if (!stopped.aborted) this.log('consumer restarted');
        return;
      } catch (error) {
        this.log(`consumer restart failed, retrying: ${String(error)}`);
      }
    }
  }

  /**
   * Throwing makes kafkajs deliver the message again, and everything behind it on its partition
   * waits: so only a transient failure throws; one a retry cannot change is parked on the
   * dead-letter topic (unanswered: its transaction rolled back, or it already committed).
   */
  private async onMessage(
    message: KafkaMessage,
    origin: { topic: string; partition: number; offset: string },
  ): Promise<void> {
    const wire: WireMessage = { key: message.key, value: message.value, headers: message.headers };
    try {
      await this.process(wire, origin);
    } catch (error) {
      if (this.lifetime.signal.aborted || isRetryable(error)) throw error;
      await this.park(wire, origin, `cannot process command: ${describeFailure(error)}`);
    }
  }

  private async process(
    wire: WireMessage,
    origin: { topic: string; partition: number; offset: string },
  ): Promise<void> {
    let command: CommandEnvelope;
    try {
      command = decodeCommand(wire);
    } catch (error) {
      // decoding is pure: whatever it throws, it throws on every delivery
      const why = error instanceof ProtocolError ? error.message : describeFailure(error);
      await this.reject(wire, origin, PROTOCOL_ERROR_CODES.malformed, `malformed command: ${why}`);
      return;
    }
    if (command.phase === 'fence') {
      await this.onFence(command);
      return;
    }
    const handler = this.handlers.get(`${command.phase}:${command.command}`);
    const decisionWithoutHandler =
      (command.phase === 'commit' || command.phase === 'abort') &&
      this.handlers.has(`prepare:${command.command}`);
    if (!handler && !decisionWithoutHandler) {
      await this.reject(
        wire,
        origin,
        PROTOCOL_ERROR_CODES.unknownCommand,
        `participant ${this.options.name} has no ${command.phase} handler for "${command.command}"`,
      );
      return;
    }
    if (command.phase === 'prepare' || command.phase === 'commit' || command.phase === 'abort') {
      await this.onTwoPhase(command);
      return;
    }
    const invoke = (tx: OpenTransaction | undefined, forward?: ForwardRecord) =>
      Promise.resolve(
        handler!(command.data, {
          sagaId: command.sagaId,
          step: command.step,
          attempt: command.attempt,
          run: command.run,
          phase: command.phase,
          command: command.command,
          commandId: command.id,
          tx,
          transaction: tx?.raw,
          forward,
        }),
      );
    const reply = this.options.database
      ? await processWithDatabase(this.options.database, this.options.name, command, invoke)
      : await processWithoutDatabase(invoke);
    this.options.faults?.at('command:committed');
    if (reply.outcome === 'error') {
      const { code, message } = reply.data as { code: string; message: string };
      this.log(
        `handler failed (answered error, the orchestrator retries): saga=${command.sagaId} step=${command.step} ` +
          `phase=${command.phase} command=${command.command} attempt=${command.attempt} code=${code} message=${JSON.stringify(message)}`,
      );
    }
    await this.sendReply(command.replyTo, command.id, command.sagaId, reply);
  }

  /** A step its saga gave up on: from now on its command is refused; the reply says if it ran. */
  private async onFence(command: CommandEnvelope): Promise<void> {
    const reply = this.options.database
      ? await processFence(this.options.database, this.options.name, command)
      : // without a database nothing is remembered, so nothing can be fenced
        { outcome: 'success' as const, data: { executed: null } };
    await this.sendReply(command.replyTo, command.id, command.sagaId, reply);
  }

  private async onTwoPhase(command: CommandEnvelope): Promise<void> {
    const db = this.options.database!;
    const invoke = this.invokeTwoPhase(command);
    let reply: Reply;
    if (command.phase === 'prepare') {
      this.options.faults?.at('prepare:received');
      reply = await processPrepare(db, this.options.name, command, invoke);
      this.options.faults?.at('prepare:logged');
    } else {
      this.options.faults?.at('decision:received');
      const target = {
        transactionId: command.sagaId,
        step: command.step,
        command: command.command,
        request: command.data,
      };
      reply = await processDecision(
        db,
        this.options.name,
        target,
        command.phase as 'commit',
        invoke,
      );
      if (reply.outcome === 'failure')
        this.log(
          `${command.phase} of transaction ${command.sagaId} refused: ${JSON.stringify(reply.data)}`,
        );
    }
    await this.sendReply(command.replyTo, command.id, command.sagaId, reply);
  }

  private async sendReply(
    topic: string,
    correlationId: string,
    sagaId: string,
    reply: Reply,
  ): Promise<void> {
    await this.producer!.send({
      topic,
      acks: -1,
      messages: [
        encodeReply({
          id: randomUUID(),
          source: this.options.name,
          time: new Date().toISOString(),
          correlationId,
          sagaId,
          outcome: reply.outcome,
          data: reply.data,
        }),
      ],
    });
  }

  /** Parks a message it cannot run on the dead-letter topic, answering `failure` when it can. */
  private async reject(
    message: WireMessage,
    origin: { topic: string; partition: number; offset: string },
    code: string,
    reason: string,
  ): Promise<void> {
    await this.park(message, origin, reason);
    const { id, sagaId, replyTo } = readCorrelation(message);
    if (id && sagaId && replyTo) {
      await this.sendReply(replyTo, id, sagaId, {
        outcome: 'failure',
        data: { code, message: reason },
      });
    }
  }

  /** Puts a message on the dead-letter topic with its reason, and logs one line. */
  private async park(
    message: WireMessage,
    origin: { topic: string; partition: number; offset: string },
    reason: string,
  ): Promise<void> {
    const where = `${origin.topic}[${origin.partition}]@${origin.offset}`;
    try {
      await this.producer!.send({
        topic: deadLetterTopic(this.prefix),
        acks: -1,
        messages: [deadLetter(message, reason, origin)],
      });
    } catch (error) {
      if (this.lifetime.signal.aborted || isRetryable(error)) throw error;
      // e.g. the dead letter is over the broker's size limit: skipping it is all that is left
      this.log(
        `${where}: ${reason}; skipped, ${deadLetterTopic(this.prefix)} refused it (${describeFailure(error)})`,
      );
      return;
    }
    this.log(`${where}: ${reason}; parked on ${deadLetterTopic(this.prefix)}`);
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
    this.consuming = false;
  }

  private async disconnect(): Promise<void> {
    await this.inDoubt?.stop();
    await this.consumer?.disconnect().catch((e: unknown) => this.log(`consumer: ${String(e)}`));
    await this.producer?.disconnect().catch((e: unknown) => this.log(`producer: ${String(e)}`));
  }

  /** For your health endpoint: up while the consumer is in its group; 2PC transactions in doubt. */
  health(): ParticipantHealth {
    return {
      status: this.consuming && !this.lastError ? 'up' : 'down',
      consuming: this.consuming,
      ...(this.lastError ? { lastError: this.lastError } : {}),
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
