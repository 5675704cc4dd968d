import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { ensureTopics } from '@skald/participant';
import { commandTopic, decodeCommand, encodeReply, type CommandEnvelope } from '@skald/protocol';

/** How a scripted participant answers one command. */
export type ScriptedAnswer =
  | { outcome: 'success'; data?: unknown }
  | { outcome: 'failure' | 'error'; code: string; message?: string }
  /** Send nothing: the orchestrator's timeout must deal with it. */
  | { outcome: 'none' };

export interface ScriptedParticipantOptions {
  name: string;
  brokers: string[];
  topicPrefix: string;
  /** Decides the answer to each command; `received` holds every earlier command (this one last). */
  answer: (
    command: CommandEnvelope,
    received: CommandEnvelope[],
  ) => ScriptedAnswer | Promise<ScriptedAnswer>;
}

export interface ScriptedParticipant {
  /** Every command received, in arrival order. */
  readonly received: CommandEnvelope[];
  /** Sends a reply by hand (for tests of duplicate, stale and forged replies). */
  reply(command: CommandEnvelope, answer: ScriptedAnswer, replyId?: string): Promise<string>;
  /** Resolves once a received command matches, or rejects after `timeoutMs`. */
  waitFor(match: (c: CommandEnvelope) => boolean, timeoutMs?: number): Promise<CommandEnvelope>;
  stop(): Promise<void>;
}

/**
 * A participant for engine tests that speaks the wire protocol directly through kafkajs, with
 * answers scripted by the test. Not the SDK: no inbox, no fence — tests see raw engine behaviour.
 */
export async function startScriptedParticipant(
  options: ScriptedParticipantOptions,
): Promise<ScriptedParticipant> {
  const kafka = new Kafka({
    clientId: `scripted-${options.name}`,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer: Producer = kafka.producer({ idempotent: true });
  const consumer: Consumer = kafka.consumer({
    groupId: `${options.topicPrefix}.participant.${options.name}`,
    maxWaitTimeInMs: 50,
  });
  const topic = commandTopic(options.topicPrefix, options.name);
  const received: CommandEnvelope[] = [];
  const waiters = new Set<() => void>();

  const reply = async (
    command: CommandEnvelope,
    answer: ScriptedAnswer,
    replyId = randomUUID(),
  ) => {
    if (answer.outcome === 'none') return replyId;
    const data =
      answer.outcome === 'success'
        ? (answer.data ?? {})
        : {
            code: answer.code,
            message: answer.message ?? `${options.name} answered ${answer.code}`,
          };
    await producer.send({
      topic: command.replyTo,
      acks: -1,
      messages: [
        encodeReply({
          id: replyId,
          source: options.name,
          time: new Date().toISOString(),
          correlationId: command.id,
          sagaId: command.sagaId,
          outcome: answer.outcome,
          data,
        }),
      ],
    });
    return replyId;
  };

  await ensureTopics(kafka, [topic]);
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const command = decodeCommand({
        key: message.key,
        value: message.value,
        headers: message.headers,
      });
      received.push(command);
      for (const wake of waiters) wake();
      await reply(command, await options.answer(command, received));
    },
  });

  return {
    received,
    reply,
    waitFor: (match, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = received.find(match);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `${options.name}: no matching command within ${timeoutMs} ms (received ${received.length})`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
