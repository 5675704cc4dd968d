// The SDK's traces and logs. Library hygiene: @opentelemetry/api only, and never a global
// registered here: spans go to the tracer provider the user passes, or to whatever the user's app
// registered globally (nothing: the API's no-op, at no measurable cost).
import {
  context as otelContext,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import {
  formatTraceParent,
  parseTraceParent,
  SPAN_ATTRIBUTES as A,
  type CommandEnvelope,
  type Outcome,
} from '@skald/protocol';
import type { RecordOrigin } from './command-consumer';

/** One method of a pino-compatible logger: `(message)` or `(fields, message)`. */
export interface LogMethod {
  (message: string): void;
  (fields: object, message?: string): void;
}

/**
 * A pino-compatible logger (pino itself, or anything with `child` and the level methods). The SDK
 * logs through child loggers carrying the participant's name and, for a command, its saga id,
 * step, attempt, phase, command id and trace id.
 */
export interface ParticipantLogger {
  child(bindings: Record<string, unknown>): ParticipantLogger;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** Where the SDK's own lines go: `message` for the `log` option, `fields` for `logger`. */
export type SdkLog = (message: string, fields?: Record<string, unknown>) => void;

/** The SDK's log: the `log` function and/or the `logger` (console.warn when neither is given). */
export function compileLog(options: {
  name: string;
  log?: (message: string) => void;
  logger?: ParticipantLogger;
}): { log: SdkLog; logger?: ParticipantLogger } {
  const logger = options.logger?.child({ participant: options.name });
  const log = options.log;
  if (!log && !logger) return { log: (m) => console.warn(`[skald:${options.name}] ${m}`) }; // eslint-disable-line no-console
  return {
    logger,
    log: (message, fields) => {
      log?.(message);
      (fields && logger ? logger.child(fields) : logger)?.warn(message);
    },
  };
}

/** The fields that join a command's log lines up with its saga and trace. */
export function commandLogFields(command: CommandEnvelope, span: Span): Record<string, unknown> {
  // a no-op span carries the command's own context: the trace id is the caller's either way
  const { traceId } = span.spanContext();
  return {
    sagaId: command.sagaId,
    step: command.step,
    attempt: command.attempt,
    phase: command.phase,
    command: command.command,
    commandId: command.id,
    ...(isSpanContextValid(span.spanContext()) ? { traceId } : {}),
  };
}

/** The SDK's tracer, of the user's provider or the global one. */
export function participantTracer(provider?: TracerProvider): Tracer {
  return (provider ?? trace.getTracerProvider()).getTracer('@skald/participant');
}

/** The span of one command's handling: a CONSUMER span, child of the orchestrator's publish span. */
export function startHandlerSpan(
  tracer: Tracer,
  command: CommandEnvelope,
  origin: RecordOrigin,
  settings: { participant: string; groupId: string },
): Span {
  const parent = parseTraceParent(command.traceParent);
  const parentContext = parent
    ? trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true })
    : ROOT_CONTEXT;
  return tracer.startSpan(
    `${command.phase} ${command.command}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [A.messagingSystem]: 'kafka',
        [A.messagingDestination]: origin.topic,
        [A.messagingOperationType]: 'process',
        [A.messagingOperationName]: 'process',
        [A.messagingConsumerGroup]: settings.groupId,
        [A.messagingMessageId]: command.id,
        [A.messagingKafkaMessageKey]: command.sagaId,
        [A.sagaId]: command.sagaId,
        [A.step]: command.step,
        [A.attempt]: command.attempt,
        [A.phase]: command.phase,
        [A.participant]: settings.participant,
      },
    },
    parentContext,
  );
}

/** Runs `work` with `span` active, so the user's own spans inside a handler are its children. */
export function withSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  return otelContext.with(trace.setSpan(otelContext.active(), span), work);
}

/** Ends a handler span with the reply's outcome (`error`: the span failed). */
export function endHandlerSpan(span: Span, outcome?: Outcome, error?: unknown): void {
  if (span.isRecording()) {
    if (outcome) span.setAttribute(A.outcome, outcome);
    if (error !== undefined || outcome === 'error') {
      if (error !== undefined) span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  span.end();
}

/** The `traceparent` a reply carries: its handler span's (undefined without a trace). */
export function spanTraceParent(span: Span): string | undefined {
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? formatTraceParent(spanContext) : undefined;
}
