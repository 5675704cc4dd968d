// One run of the kit against a participant: builds commands as the orchestrator would, sends
// them, and reads what comes back, so the checks read as the protocol's rules.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  decodeReply,
  describeFailure,
  encodeCommand,
  PHASES,
  printable,
  type ReplyEnvelope,
  type SagaPhase,
} from '@skald/protocol';
import type { ReceivedRecord } from './mailbox';
import type { CompiledConformanceOptions } from './options';
import type { OutgoingRecord, WireProbe } from './probe';

/** `ce_source` of what the kit sends. */
export const CONFORMANCE_SOURCE = 'skald-conformance';
/** `ce_sagastep` of the kit's commands: every check uses sagas of its own, so one step name will do. */
export const CONFORMANCE_STEP = 'conformance';

/** A command the kit sends: its `ce_id`, its saga, and the record. */
export interface SentCommand {
  id: string;
  sagaId: string;
  record: OutgoingRecord;
}

/** A valid reply to a command, or what was wrong with the answer (none, or not a valid reply). */
export type Answer = { reply: ReplyEnvelope; record: ReceivedRecord } | { problem: string };

const shown = (value: unknown) => printable(JSON.stringify(value) ?? 'undefined', 120);

/** A reply in one phrase, e.g. `failure FENCED` or `success {"id":"…"}`. */
export function describeReply(reply: ReplyEnvelope): string {
  const code = (reply.data as { code?: unknown } | null)?.code;
  return reply.outcome === 'success' || typeof code !== 'string'
    ? `${reply.outcome} ${shown(reply.data)}`
    : `${reply.outcome} ${code}`;
}

/** Why `later` is not the same reply as `first` (outcome and data), or undefined if it is. */
export function replyDifference(first: ReplyEnvelope, later: ReplyEnvelope): string | undefined {
  if (first.outcome === later.outcome && isDeepStrictEqual(first.data, later.data))
    return undefined;
  return `first answered ${first.outcome} ${shown(first.data)}, then ${later.outcome} ${shown(later.data)}`;
}

export class Session {
  constructor(
    private readonly probe: WireProbe,
    private readonly options: CompiledConformanceOptions,
  ) {}

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /** The participant's command topic. */
  get commandTopic(): string {
    return this.options.topics.commands;
  }

  /** A command of `sagaId`'s one step: the forward command, or its compensation. */
  command(sagaId: string, phase: SagaPhase, attempt: number): SentCommand {
    const compensating = phase === PHASES.compensate;
    const id = randomUUID();
    return {
      id,
      sagaId,
      record: encodeCommand({
        id,
        source: CONFORMANCE_SOURCE,
        command: compensating ? this.options.compensation : this.options.command,
        time: new Date().toISOString(),
        sagaId,
        step: CONFORMANCE_STEP,
        attempt,
        phase,
        replyTo: this.probe.replyTo,
        data: compensating ? this.options.compensationPayload : this.options.payload,
      }),
    };
  }

  /** Sends the command (again, if it was sent before: a redelivery) and waits for its next answer. */
  async ask(command: SentCommand): Promise<Answer> {
    const mark = this.probe.replies.mark();
    await this.probe.send(command.record);
    return this.answer(command, mark);
  }

  /** Sends a record as it is; resolves with where it was written. */
  send(record: OutgoingRecord): Promise<{ partition: number; offset: string }> {
    return this.probe.send(record);
  }

  /** The replies and dead letters that have arrived so far (see Mailbox.mark). */
  marks(): { replies: number; deadLetters: number } {
    return { replies: this.probe.replies.mark(), deadLetters: this.probe.deadLetters.mark() };
  }

  /** The first answer to `command` after `mark`: a valid reply keyed and labelled with its saga. */
  async answer(command: SentCommand, mark: number): Promise<Answer> {
    const record = await this.probe.replies.next(command.id, mark, this.options.timeoutMs);
    if (!record)
      return {
        problem: `no reply with ce_correlationid ${command.id} within ${this.options.timeoutMs} ms`,
      };
    let reply: ReplyEnvelope;
    try {
      reply = decodeReply(record);
    } catch (error) {
      return { problem: `the reply is not a valid reply envelope: ${describeFailure(error)}` };
    }
    const key = record.key?.toString();
    if (key !== command.sagaId)
      return {
        problem: `the reply's key is ${shown(key ?? null)}, not the saga id ${command.sagaId}`,
      };
    if (reply.sagaId !== command.sagaId)
      return { problem: `the reply's ce_sagaid is ${reply.sagaId}, not ${command.sagaId}` };
    return { reply, record };
  }

  /** The dead letter of the record with `ce_id` = `id` written after `mark`, if one comes in time. */
  deadLetter(id: string, mark: number): Promise<ReceivedRecord | undefined> {
    return this.probe.deadLetters.next(id, mark, this.options.timeoutMs);
  }
}
