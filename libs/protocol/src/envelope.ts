import { ProtocolError } from './errors';
import { FORBIDDEN_IN_ATTRIBUTES, printable } from './failure';
import {
  CONTENT_TYPE,
  HEADERS,
  isTopicName,
  isUuid,
  MAX_HEADER_BYTES,
  OUTCOMES,
  PHASES,
  REPLY_TYPE,
  SPEC_VERSION,
  type Outcome,
  type Phase,
} from './wire';

/** A Kafka record as both kafkajs and any other client can give or take it (no kafkajs types here). */
export interface WireMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/** A command to a participant (docs/protocol.md). */
export interface CommandEnvelope {
  /** `ce_id`: unique per message and attempt. */
  id: string;
  source: string;
  /** `ce_type`: the command name, e.g. `reserve`. */
  command: string;
  /** ISO-8601 */
  time: string;
  /** For 2PC messages: the transaction id. */
  sagaId: string;
  step: string;
  attempt: number;
  /**
   * `ce_steprun`: 1 for the saga's own attempts of a step, +1 for each operator retry of it.
   * (sagaId, step, run) names one operation; a participant runs each at most once.
   */
  run: number;
  phase: Phase;
  replyTo: string;
  data: unknown;
  traceParent?: string;
}

/** A participant's answer to one command. */
export interface ReplyEnvelope {
  id: string;
  source: string;
  time: string;
  /** The command's `ce_id`. */
  correlationId: string;
  sagaId: string;
  outcome: Outcome;
  /** success: the result; failure and error: `{ code, message, details? }`. */
  data: unknown;
  traceParent?: string;
}

/** The body of a failure or error reply. */
export interface ReplyErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** A header value quoted for an error message: short, and with nothing unprintable in it. */
const quote = (value: string, max = 64): string => `"${printable(value, max)}"`;

/** The header's value (the last, if repeated), or why the wire contract forbids it. */
function readHeader(message: WireMessage, name: string): { value?: string; problem?: string } {
  const raw = message.headers?.[name];
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (last === undefined) return {};
  const bytes = typeof last === 'string' ? Buffer.byteLength(last) : last.length;
  if (bytes > MAX_HEADER_BYTES)
    return {
      problem: `header ${name} is ${bytes} bytes long, at most ${MAX_HEADER_BYTES} allowed`,
    };
  const value = last.toString();
  if (FORBIDDEN_IN_ATTRIBUTES.test(value)) {
    return {
      problem: `header ${name} has a control character, lone surrogate or noncharacter, which CloudEvents forbids: ${quote(value)}`,
    };
  }
  return { value };
}

function header(message: WireMessage, name: string): string | undefined {
  const { value, problem } = readHeader(message, name);
  if (problem) throw new ProtocolError(problem);
  return value;
}

function required(message: WireMessage, name: string): string {
  const value = header(message, name);
  if (value === undefined || value === '') throw new ProtocolError(`missing header ${name}`);
  return value;
}

function uuid(message: WireMessage, name: string): string {
  const value = required(message, name);
  if (!isUuid(value)) throw new ProtocolError(`header ${name} must be a UUID, got ${quote(value)}`);
  return value;
}

function topicName(message: WireMessage, name: string): string {
  const value = required(message, name);
  if (!isTopicName(value)) {
    throw new ProtocolError(
      `header ${name} must be a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -, not "." or ".."), got ${quote(value)}`,
    );
  }
  return value;
}

function oneOf<T extends string>(
  message: WireMessage,
  name: string,
  allowed: Record<string, T>,
): T {
  const value = required(message, name);
  const values = Object.values(allowed);
  if (!values.includes(value as T)) {
    throw new ProtocolError(
      `header ${name} must be one of ${values.join(', ')}, got ${quote(value)}`,
    );
  }
  return value as T;
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value < 1)
    throw new ProtocolError(`header ${name} must be a positive integer, got ${quote(text, 32)}`);
  return value;
}

function commonHeaders(message: WireMessage): void {
  const spec = required(message, HEADERS.specVersion);
  if (spec !== SPEC_VERSION)
    throw new ProtocolError(
      `header ${HEADERS.specVersion} must be ${SPEC_VERSION}, got ${quote(spec)}`,
    );
  const contentType = header(message, HEADERS.contentType);
  if (contentType !== undefined && !contentType.startsWith(CONTENT_TYPE)) {
    throw new ProtocolError(
      `header ${HEADERS.contentType} must be ${CONTENT_TYPE}, got ${quote(contentType)}`,
    );
  }
}

// PostgreSQL's jsonb, where Skald and its participants keep payloads, refuses these in strings
const UNSTORABLE_IN_JSON = /\u0000|\p{Cs}/u;

/** Whether PostgreSQL's jsonb can store this string (as a JSON key or value): no U+0000, no lone surrogate. */
export function isStorableInJsonb(text: string): boolean {
  return !UNSTORABLE_IN_JSON.test(text);
}

/** The first string (key or value) in `value` that jsonb cannot store; iterative, as nesting is unbounded. */
function unstorableString(value: unknown): string | undefined {
  const pending = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (!isStorableInJsonb(next)) return next;
    } else if (typeof next === 'object' && next !== null) {
      for (const [key, child] of Object.entries(next)) {
        if (!isStorableInJsonb(key)) return key;
        pending.push(child);
      }
    }
  }
  return undefined;
}

function jsonValue(message: WireMessage): unknown {
  if (message.value === null || message.value.length === 0) return null;
  const text = message.value.toString();
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    // the parser quotes the text, maybe cut inside a surrogate pair
    throw new ProtocolError(`value is not valid JSON (${printable((error as Error).message)})`);
  }
  // U+0000 and lone surrogates can only come in as \u escapes
  const unstorable = text.includes('\\u') ? unstorableString(value) : undefined;
  if (unstorable !== undefined) {
    throw new ProtocolError(
      `value has a string with U+0000 or a lone surrogate, which PostgreSQL cannot store: ${quote(unstorable)}`,
    );
  }
  return value;
}

function baseHeaders(e: {
  id: string;
  source: string;
  type: string;
  time: string;
  traceParent?: string;
}) {
  const headers: Record<string, string> = {
    [HEADERS.specVersion]: SPEC_VERSION,
    [HEADERS.id]: e.id,
    [HEADERS.source]: e.source,
    [HEADERS.type]: e.type,
    [HEADERS.time]: e.time,
    [HEADERS.contentType]: CONTENT_TYPE,
  };
  if (e.traceParent) headers[HEADERS.traceParent] = e.traceParent;
  return headers;
}

/** Kafka record of a command: key = saga id, CloudEvents attributes as headers, JSON data as value. */
export function encodeCommand(c: Omit<CommandEnvelope, 'run'> & { run?: number }): {
  key: string;
  value: string;
  headers: Record<string, string>;
} {
  return {
    key: c.sagaId,
    value: JSON.stringify(c.data ?? null),
    headers: {
      ...baseHeaders({ ...c, type: c.command }),
      [HEADERS.sagaId]: c.sagaId,
      [HEADERS.sagaStep]: c.step,
      [HEADERS.attempt]: String(c.attempt),
      ...(c.run === undefined ? {} : { [HEADERS.stepRun]: String(c.run) }),
      [HEADERS.phase]: c.phase,
      [HEADERS.replyTo]: c.replyTo,
    },
  };
}

/** Kafka record of a reply, keyed by saga id like the command it answers. */
export function encodeReply(r: ReplyEnvelope): {
  key: string;
  value: string;
  headers: Record<string, string>;
} {
  return {
    key: r.sagaId,
    value: JSON.stringify(r.data ?? null),
    headers: {
      ...baseHeaders({ ...r, type: REPLY_TYPE }),
      [HEADERS.correlationId]: r.correlationId,
      [HEADERS.sagaId]: r.sagaId,
      [HEADERS.outcome]: r.outcome,
    },
  };
}

/** Parses and validates a command; throws `ProtocolError` naming the first problem. */
export function decodeCommand(message: WireMessage): CommandEnvelope {
  commonHeaders(message);
  const attempt = positiveInteger(HEADERS.attempt, required(message, HEADERS.attempt));
  const runText = header(message, HEADERS.stepRun);
  const run = runText === undefined ? 1 : positiveInteger(HEADERS.stepRun, runText);
  return {
    id: uuid(message, HEADERS.id),
    source: required(message, HEADERS.source),
    command: required(message, HEADERS.type),
    time: required(message, HEADERS.time),
    sagaId: uuid(message, HEADERS.sagaId),
    step: required(message, HEADERS.sagaStep),
    attempt,
    run,
    phase: oneOf(message, HEADERS.phase, PHASES),
    replyTo: topicName(message, HEADERS.replyTo),
    traceParent: header(message, HEADERS.traceParent),
    data: jsonValue(message),
  };
}

/** Parses and validates a reply; throws `ProtocolError` naming the first problem. */
export function decodeReply(message: WireMessage): ReplyEnvelope {
  commonHeaders(message);
  const type = required(message, HEADERS.type);
  if (type !== REPLY_TYPE)
    throw new ProtocolError(`header ${HEADERS.type} must be ${REPLY_TYPE}, got ${quote(type)}`);
  const outcome = oneOf(message, HEADERS.outcome, OUTCOMES);
  const data = jsonValue(message);
  if (outcome !== OUTCOMES.success && !isReplyErrorBody(data)) {
    throw new ProtocolError(
      `a ${outcome} reply needs a JSON value { "code": string, "message": string }`,
    );
  }
  return {
    id: uuid(message, HEADERS.id),
    source: required(message, HEADERS.source),
    time: required(message, HEADERS.time),
    correlationId: uuid(message, HEADERS.correlationId),
    sagaId: uuid(message, HEADERS.sagaId),
    outcome,
    traceParent: header(message, HEADERS.traceParent),
    data,
  };
}

export function isReplyErrorBody(value: unknown): value is ReplyErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ReplyErrorBody).code === 'string' &&
    typeof (value as ReplyErrorBody).message === 'string'
  );
}

/** The correlation headers of a message that failed validation, each only if usable, so it can still be answered. */
export function readCorrelation(message: WireMessage): {
  id?: string;
  sagaId?: string;
  replyTo?: string;
} {
  const usable = (name: string, valid: (value: string) => boolean) => {
    const { value } = readHeader(message, name);
    return value !== undefined && valid(value) ? value : undefined;
  };
  return {
    id: usable(HEADERS.id, isUuid),
    sagaId: usable(HEADERS.sagaId, isUuid),
    replyTo: usable(HEADERS.replyTo, isTopicName),
  };
}

/** A dead letter: the original record with the reason and its origin added as headers. */
export function deadLetter(
  message: WireMessage,
  reason: string,
  origin: { topic: string; partition: number; offset: string },
): {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, Buffer | string>;
} {
  const headers: Record<string, Buffer | string> = {};
  for (const [name, raw] of Object.entries(message.headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) headers[name] = value;
  }
  headers[HEADERS.deadLetterReason] = reason;
  headers[HEADERS.deadLetterTopic] = origin.topic;
  headers[HEADERS.deadLetterPartition] = String(origin.partition);
  headers[HEADERS.deadLetterOffset] = origin.offset;
  return { key: message.key, value: message.value, headers };
}
