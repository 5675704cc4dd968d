// W3C Trace Context (https://www.w3.org/TR/trace-context/#traceparent-header): the `traceparent`
// header as a value both sides of the wire read and write. No OpenTelemetry here: the shape
// matches its SpanContext, so the tracing code on either side passes it on as it is.

/** The parts of a `traceparent` header (version 00). */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero: the span the receiver's spans are children of. */
  spanId: string;
  /** Bit 0 (1): sampled. */
  traceFlags: number;
}

const TRACE_PARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;

/**
 * Reads a `traceparent` header; undefined when it is absent or not one (a bad header starts a new
 * trace, it never refuses a message). Versions after 00 are read as 00, as the spec asks.
 */
export function parseTraceParent(header: string | undefined): TraceParent | undefined {
  const match = header === undefined ? null : TRACE_PARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}

/** The `traceparent` header of a span context (version 00). */
export function formatTraceParent({ traceId, spanId, traceFlags }: TraceParent): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The span attributes both sides write: OpenTelemetry's messaging conventions (the names of
 * @opentelemetry/semantic-conventions, copied so this lib imports nothing; a spec in the
 * orchestrator checks they match) and Skald's own.
 */
export const SPAN_ATTRIBUTES = {
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingMessageId: 'messaging.message.id',
  messagingConversationId: 'messaging.message.conversation_id',
  messagingKafkaMessageKey: 'messaging.kafka.message.key',
  messagingConsumerGroup: 'messaging.consumer.group.name',
  sagaId: 'skald.saga.id',
  sagaType: 'skald.saga.type',
  step: 'skald.step',
  attempt: 'skald.attempt',
  phase: 'skald.phase',
  participant: 'skald.participant',
  outcome: 'skald.outcome',
} as const;
