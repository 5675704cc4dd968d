// The orchestrator's spans, through @opentelemetry/api only: with no tracer provider registered
// (tracing off) every span is the API's no-op, which only carries its parent's context on, so a
// caller's trace still reaches the participants at no measurable cost.
// Contexts are passed explicitly, never through the active context: spans cross transactions,
// processes and crashes, so a span's parent is a stored `traceparent` (saga row, outbox headers).
import {
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import {
  formatTraceParent,
  HEADERS,
  parseTraceParent,
  SPAN_ATTRIBUTES as A,
  type Phase,
} from '@skald/protocol';

const tracer = trace.getTracer('@skald/orchestrator');

/** Kafka, as OpenTelemetry's messaging conventions name it. */
const KAFKA = 'kafka';

/** Starts a span whose parent is the span of `traceParent` (none: it starts a trace). */
export function startSpan(
  name: string,
  traceParent: string | null | undefined,
  options: { kind?: SpanKind; attributes?: Attributes; startTime?: number } = {},
): Span {
  const parent = parseTraceParent(traceParent ?? undefined);
  const context = parent
    ? trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true })
    : ROOT_CONTEXT;
  return tracer.startSpan(name, options, context);
}

/** The `traceparent` of `span` (its parent's for a no-op span); undefined when there is no trace. */
export function traceParentOf(span: Span): string | undefined {
  const context = span.spanContext();
  return isSpanContextValid(context) ? formatTraceParent(context) : undefined;
}

/**
 * `headers` with the `traceparent` of `span` (a publish span: the receiver's spans are its
 * children). traceparent is outside the signed headers, so this keeps a signature valid.
 */
export function withTraceParent(
  headers: Record<string, string>,
  span: Span,
): Record<string, string> {
  const traceParent = traceParentOf(span);
  if (!traceParent || traceParent === headers[HEADERS.traceParent]) return headers;
  return { ...headers, [HEADERS.traceParent]: traceParent };
}

/** Ends `span`, as failed when `error` is given. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined && span.isRecording()) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
  }
  span.end();
}

/** Runs `work`, then ends `spans`: as failed when it threw. */
export async function endingSpans<T>(spans: readonly Span[], work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    for (const span of spans) endSpan(span);
    return result;
  } catch (error) {
    for (const span of spans) endSpan(span, error);
    throw error;
  }
}

/** The trace id of a stored `traceparent`, for log lines; undefined when there is none. */
export function traceIdOf(traceParent: string | null | undefined): string | undefined {
  return parseTraceParent(traceParent ?? undefined)?.traceId;
}

/** The saga's span: its start. Every step attempt and compensation of the saga is its child. */
export function startSagaSpan(saga: { id: string; type: string }, callerTraceParent?: string) {
  return startSpan(`saga ${saga.type}`, callerTraceParent, {
    attributes: { [A.sagaId]: saga.id, [A.sagaType]: saga.type },
  });
}

/** One attempt of a step (or of its compensation): the decision that queued its command. */
export function startStepSpan(
  saga: { id: string; type: string; traceParent: string | null },
  command: { step: string; attempt: number; phase: Phase; participant: string; command: string },
): Span {
  const name =
    command.phase === 'compensate' ? `compensate ${command.step}` : `step ${command.step}`;
  return startSpan(name, saga.traceParent, {
    attributes: {
      [A.sagaId]: saga.id,
      [A.sagaType]: saga.type,
      [A.step]: command.step,
      [A.attempt]: command.attempt,
      [A.phase]: command.phase,
      [A.participant]: command.participant,
    },
  });
}

/** A 2PC transaction's span: its start. Every prepare, commit and abort of it is its child. */
export function startTransactionSpan(transactionId: string, callerTraceParent?: string): Span {
  return startSpan('2pc transaction', callerTraceParent, {
    attributes: { [A.sagaId]: transactionId },
  });
}

/** One 2PC message (prepare, commit or abort to one participant): the decision that queued it. */
export function startTwoPhaseSpan(
  transaction: { id: string; traceParent: string | null },
  message: { step: string; attempt: number; phase: Phase; participant: string },
): Span {
  return startSpan(`${message.phase} ${message.participant}`, transaction.traceParent, {
    attributes: {
      [A.sagaId]: transaction.id,
      [A.step]: message.step,
      [A.attempt]: message.attempt,
      [A.phase]: message.phase,
      [A.participant]: message.participant,
    },
  });
}

/** The relay's publish of one outbox record (a PRODUCER span, child of its command's span). */
export function startPublishSpan(record: {
  topic: string;
  key: string;
  headers: Record<string, string>;
}): Span {
  const h = record.headers;
  return startSpan(`send ${record.topic}`, h[HEADERS.traceParent], {
    kind: SpanKind.PRODUCER,
    attributes: {
      [A.messagingSystem]: KAFKA,
      [A.messagingDestination]: record.topic,
      [A.messagingOperationType]: 'send',
      [A.messagingOperationName]: 'send',
      [A.messagingMessageId]: h[HEADERS.id],
      [A.messagingKafkaMessageKey]: record.key,
      [A.sagaId]: h[HEADERS.sagaId],
      [A.step]: h[HEADERS.sagaStep],
      [A.attempt]: Number(h[HEADERS.attempt]),
      [A.phase]: h[HEADERS.phase],
    },
  });
}

/** The application of one reply (a CONSUMER span, child of the participant's handler span). */
export function startReplySpan(
  reply: {
    id: string;
    correlationId: string;
    sagaId: string;
    outcome: string;
    traceParent?: string;
  },
  topic: string,
  consumerGroup: string,
): Span {
  return startSpan(`process ${topic}`, reply.traceParent, {
    kind: SpanKind.CONSUMER,
    attributes: {
      [A.messagingSystem]: KAFKA,
      [A.messagingDestination]: topic,
      [A.messagingOperationType]: 'process',
      [A.messagingOperationName]: 'process',
      [A.messagingConsumerGroup]: consumerGroup,
      [A.messagingMessageId]: reply.id,
      [A.messagingConversationId]: reply.correlationId,
      [A.sagaId]: reply.sagaId,
      [A.outcome]: reply.outcome,
    },
  });
}
