// The stock orchestrator's trace export: the OpenTelemetry Node SDK, registered only when the
// standard variables ask for it. The rest of the orchestrator speaks @opentelemetry/api alone,
// so an app that imports SkaldModule keeps its own tracer provider (none is registered there).

/** The variables that turn tracing on (OpenTelemetry's own; every other OTEL_* applies as usual). */
export const TRACING_VARIABLES = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_EXPORTER'] as const;

/** What tracing does at shutdown: export the spans still buffered. */
export type StopTracing = () => Promise<void>;

/**
 * Registers the Node SDK as the global tracer provider when OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_TRACES_EXPORTER is set (OTEL_TRACES_EXPORTER=none: off); undefined when it did not.
 * Traces only: metrics stay on /metrics, logs on stdout.
 */
export async function startTracingFromEnv(
  env: NodeJS.ProcessEnv,
): Promise<StopTracing | undefined> {
  if (!TRACING_VARIABLES.some((name) => env[name])) return undefined;
  if (env.OTEL_TRACES_EXPORTER?.trim() === 'none') return undefined;
  // loaded only when on: with tracing off the SDK costs no start-up time and no memory
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ? undefined : 'skald-orchestrator',
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return () => sdk.shutdown();
}
