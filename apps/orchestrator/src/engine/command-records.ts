// The Kafka record of a command, as the outbox stores it: built here for saga steps and for 2PC
// messages alike, so both speak the wire protocol (docs/protocol.md) the same way.
import { commandTopic, encodeCommand, replyTopic, type Phase } from '@skald/protocol';

/** `ce_source` of what the orchestrator sends: saga steps, and 2PC messages. */
export const COMMAND_SOURCES = {
  saga: 'skald-orchestrator',
  twoPhase: 'skald-coordinator',
} as const;
type CommandSource = (typeof COMMAND_SOURCES)[keyof typeof COMMAND_SOURCES];

/** One command to a participant, before it is encoded. */
export interface CommandMessage {
  id: string;
  participant: string;
  command: string;
  /** The saga's id, or the 2PC transaction's. */
  sagaId: string;
  step: string;
  phase: Phase;
  attempt: number;
  run?: number;
  payload: unknown;
  /** W3C `traceparent` of the span the command belongs to (its step attempt's, its 2PC phase's). */
  traceParent?: string;
}

/** The topic, key, headers and payload the relay publishes for `message`. */
export function commandRecord(
  { topicPrefix, source }: { topicPrefix: string; source: CommandSource },
  message: CommandMessage,
  now: number,
) {
  const record = encodeCommand({
    id: message.id,
    source,
    command: message.command,
    time: new Date(now).toISOString(),
    sagaId: message.sagaId,
    step: message.step,
    attempt: message.attempt,
    run: message.run,
    phase: message.phase,
    replyTo: replyTopic(topicPrefix),
    data: message.payload,
    traceParent: message.traceParent,
  });
  return {
    topic: commandTopic(topicPrefix, message.participant),
    key: record.key,
    headers: record.headers,
    payload: record.value,
  };
}
