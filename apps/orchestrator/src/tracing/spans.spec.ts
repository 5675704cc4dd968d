import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as semconv from '@opentelemetry/semantic-conventions/incubating';
import { SPAN_ATTRIBUTES } from '@skald/protocol';
import { startSagaSpan, startStepSpan, traceParentOf, withTraceParent } from './spans';

const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('orchestrator spans', () => {
  it("names messaging attributes as OpenTelemetry's conventions do", () => {
    assert.deepEqual(
      [
        SPAN_ATTRIBUTES.messagingSystem,
        SPAN_ATTRIBUTES.messagingDestination,
        SPAN_ATTRIBUTES.messagingOperationType,
        SPAN_ATTRIBUTES.messagingOperationName,
        SPAN_ATTRIBUTES.messagingMessageId,
        SPAN_ATTRIBUTES.messagingConversationId,
        SPAN_ATTRIBUTES.messagingKafkaMessageKey,
        SPAN_ATTRIBUTES.messagingConsumerGroup,
      ],
      [
        semconv.ATTR_MESSAGING_SYSTEM,
        semconv.ATTR_MESSAGING_DESTINATION_NAME,
        semconv.ATTR_MESSAGING_OPERATION_TYPE,
        semconv.ATTR_MESSAGING_OPERATION_NAME,
        semconv.ATTR_MESSAGING_MESSAGE_ID,
        semconv.ATTR_MESSAGING_MESSAGE_CONVERSATION_ID,
        semconv.ATTR_MESSAGING_KAFKA_MESSAGE_KEY,
        semconv.ATTR_MESSAGING_CONSUMER_GROUP_NAME,
      ],
    );
  });

  // no tracer provider is registered in this process: the API's no-op, as with tracing off
  it("with tracing off, passes the caller's traceparent on unchanged, and starts none", () => {
    const saga = startSagaSpan({ id: 's-1', type: 'trip' }, CALLER);
    assert.equal(saga.isRecording(), false);
    assert.equal(traceParentOf(saga), CALLER);
    const step = startStepSpan(
      { id: 's-1', type: 'trip', traceParent: traceParentOf(saga)! },
      { step: 'reserve', attempt: 1, phase: 'execute', participant: 'cars', command: 'reserve' },
    );
    assert.equal(traceParentOf(step), CALLER);
    const headers = { ce_id: 'x', traceparent: CALLER };
    assert.equal(withTraceParent(headers, step), headers, 'no copy when nothing changes');
    assert.equal(traceParentOf(startSagaSpan({ id: 's-2', type: 'trip' })), undefined);
    assert.equal(traceParentOf(startSagaSpan({ id: 's-3', type: 'trip' }, 'garbage')), undefined);
  });
});
