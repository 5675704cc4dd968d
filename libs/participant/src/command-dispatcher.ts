// One command record, from Kafka to its reply: decode, run the handler of its phase, answer.
import type { Span, Tracer } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import {
  decodeCommand,
  describeFailure,
  isRetryable,
  ProtocolError,
  PROTOCOL_ERROR_CODES,
  verifySignature,
  type CommandEnvelope,
  type Outcome,
  type WireMessage,
} from '@skald/protocol';
import type { RecordOrigin } from './command-consumer';
import type { OpenTransaction } from './database';
import {
  processFence,
  processWithDatabase,
  processWithoutDatabase,
  type ForwardRecord,
  type Reply,
} from './operations';
import type { ReplySender } from './reply-sender';
import { processDecision, processPrepare, type InvokeTwoPhase } from './two-phase';
import type { CommandHandler, ParticipantOptions } from './options';
import {
  commandLogFields,
  endHandlerSpan,
  spanTraceParent,
  startHandlerSpan,
  withSpan,
  type ParticipantLogger,
  type SdkLog,
} from './observability';

/** A command's SDK log, and with the `logger` option the child logger its handler gets. */
interface CommandLogs {
  log: SdkLog;
  logger?: ParticipantLogger;
}

/** Sends the reply to the command being handled (with its handler span's traceparent). */
type Answer = (reply: Reply) => Promise<void>;

/** The registered handlers, by `${phase}:${command}`. */
export type HandlerMap = ReadonlyMap<string, CommandHandler>;

/** Calls the 2PC handler of `phase` for a command (or an in-doubt record) inside `tx`. */
export function twoPhaseInvoker(
  handlers: HandlerMap,
  c: Pick<CommandEnvelope, 'sagaId' | 'step' | 'command' | 'data' | 'id' | 'attempt'>,
  logger?: ParticipantLogger,
): InvokeTwoPhase {
  return (invoked, tx, prepared) => {
    const handler = handlers.get(`${invoked}:${c.command}`);
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
        logger,
      }),
    );
  };
}

export class CommandDispatcher {
  constructor(
    private readonly handlers: HandlerMap,
    private readonly options: Pick<ParticipantOptions, 'name' | 'database' | 'faults' | 'signing'>,
    private readonly replies: ReplySender,
    private readonly settings: {
      /** The participant's current lifetime, aborted by stop(). */
      lifetime: () => AbortSignal;
      log: SdkLog;
      /** Set when the user gave a `logger`: command lines then carry the command's fields. */
      logger?: ParticipantLogger;
      tracer: Tracer;
      participant: string;
      /** The consumer group, for the handler spans' attributes. */
      groupId: string;
      /** A transaction was prepared here (YES vote logged): it is in doubt if no decision comes. */
      onPrepared?: () => void;
    },
  ) {}

  /**
   * Throwing makes kafkajs deliver the message again, and everything behind it on its partition
   * waits: so only a transient failure throws; one a retry cannot change is parked on the
   * dead-letter topic (unanswered: its transaction rolled back, or it already committed).
   */
  async handle(message: KafkaMessage, origin: RecordOrigin): Promise<void> {
    const wire: WireMessage = { key: message.key, value: message.value, headers: message.headers };
    try {
      await this.process(wire, origin);
    } catch (error) {
      if (this.settings.lifetime().aborted || isRetryable(error)) throw error;
      await this.replies.park(wire, origin, `cannot process command: ${describeFailure(error)}`);
    }
  }

  private async process(wire: WireMessage, origin: RecordOrigin): Promise<void> {
    if (this.options.signing) {
      // ⚠ before anything is answered: a reply to a forged command would carry this participant's
      // signature, so a forger could have any command of the saga answered (even as malformed)
      const check = verifySignature(wire, this.options.signing.keys);
      if (!check.ok) {
        await this.replies.park(
          wire,
          origin,
          `refused command, signature check failed (${check.failure}): ${check.reason}`,
        );
        return;
      }
    }
    let command: CommandEnvelope;
    try {
      command = decodeCommand(wire);
    } catch (error) {
      // decoding is pure: whatever it throws, it throws on every delivery
      const why = error instanceof ProtocolError ? error.message : describeFailure(error);
      await this.replies.reject(
        wire,
        origin,
        PROTOCOL_ERROR_CODES.malformed,
        `malformed command: ${why}`,
      );
      return;
    }
    const span = startHandlerSpan(this.settings.tracer, command, origin, this.settings);
    let answered: Outcome | undefined;
    const answer: Answer = async (reply) => {
      await this.replies.send(command.replyTo, command.id, command.sagaId, reply, {
        traceParent: spanTraceParent(span),
      });
      answered = reply.outcome;
    };
    const logs = this.commandLogs(command, span);
    try {
      await withSpan(span, () => this.run(command, wire, origin, answer, logs));
    } catch (error) {
      endHandlerSpan(span, answered, error);
      throw error;
    }
    endHandlerSpan(span, answered);
  }

  /** The SDK's log, and the handler's logger, with the command's saga id, step and trace id. */
  private commandLogs(command: CommandEnvelope, span: Span): CommandLogs {
    const { logger } = this.settings;
    if (!logger) return { log: this.settings.log };
    const fields = commandLogFields(command, span);
    return {
      log: (message, more) => this.settings.log(message, { ...fields, ...more }),
      logger: logger.child(fields),
    };
  }

  /** A decoded command: its handler runs, `answer` sends the reply. */
  private async run(
    command: CommandEnvelope,
    wire: WireMessage,
    origin: RecordOrigin,
    answer: Answer,
    { log, logger }: CommandLogs,
  ): Promise<void> {
    if (command.phase === 'fence') {
      await this.onFence(command, answer);
      return;
    }
    const handler = this.handlers.get(`${command.phase}:${command.command}`);
    const decisionWithoutHandler =
      (command.phase === 'commit' || command.phase === 'abort') &&
      this.handlers.has(`prepare:${command.command}`);
    if (!handler && !decisionWithoutHandler) {
      await this.replies.reject(
        wire,
        origin,
        PROTOCOL_ERROR_CODES.unknownCommand,
        `participant ${this.options.name} has no ${command.phase} handler for "${command.command}"`,
      );
      return;
    }
    if (command.phase === 'prepare' || command.phase === 'commit' || command.phase === 'abort') {
      await this.onTwoPhase(command, answer, { log, logger });
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
          logger,
        }),
      );
    const reply = this.options.database
      ? await processWithDatabase(this.options.database, this.options.name, command, invoke)
      : await processWithoutDatabase(invoke);
    this.options.faults?.at('command:committed');
    if (reply.outcome === 'error') {
      const { code, message } = reply.data as { code: string; message: string };
      log(
        `handler failed (answered error, the orchestrator retries): saga=${command.sagaId} step=${command.step} ` +
          `phase=${command.phase} command=${command.command} attempt=${command.attempt} code=${code} message=${JSON.stringify(message)}`,
        { code },
      );
    }
    await answer(reply);
  }

  /** A step its saga gave up on: from now on its command is refused; the reply says if it ran. */
  private async onFence(command: CommandEnvelope, answer: Answer): Promise<void> {
    const reply = this.options.database
      ? await processFence(this.options.database, this.options.name, command)
      : // without a database nothing is remembered, so nothing can be fenced
        { outcome: 'success' as const, data: { executed: null } };
    await answer(reply);
  }

  private async onTwoPhase(
    command: CommandEnvelope,
    answer: Answer,
    { log, logger }: CommandLogs,
  ): Promise<void> {
    const db = this.options.database!;
    const invoke = twoPhaseInvoker(this.handlers, command, logger);
    let reply: Reply;
    if (command.phase === 'prepare') {
      this.options.faults?.at('prepare:received');
      reply = await processPrepare(db, this.options.name, command, invoke);
      this.options.faults?.at('prepare:logged');
      if (reply.outcome === 'success') this.settings.onPrepared?.();
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
        log(
          `${command.phase} of transaction ${command.sagaId} refused: ${JSON.stringify(reply.data)}`,
        );
    }
    await answer(reply);
  }
}
