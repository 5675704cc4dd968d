import { ApiHeader } from '@nestjs/swagger';

/** Documents the optional `traceparent` request header of an endpoint that starts a trace. */
export function ApiTraceParent(what: 'saga' | 'transaction'): MethodDecorator {
  return ApiHeader({
    name: 'traceparent',
    required: false,
    description: `W3C Trace Context: the ${what}'s trace continues the caller's (docs/observability.md). A malformed one is ignored (a new trace starts).`,
  });
}
