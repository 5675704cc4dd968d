// 2PC traces (#17): a transaction continues its caller's trace, and every prepare, commit and
// abort it sends carries a span that is a child of the transaction's, decided in whichever
// database transaction (the trace context is kept on the transaction's row).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { parseTraceParent } from '@skald/protocol';
import { InProcessOrchestrator } from './in-process-orchestrator';

// this test file runs in a process of its own: the global provider is the orchestrator's exporter
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);

const participants = [
  { participant: 'bank-a', command: 'debit', payload: { account: 'alice', amount: 10 } },
  { participant: 'bank-b', command: 'credit', payload: { account: 'bob', amount: 10 } },
];

describe('in process: 2PC spans', () => {
  it("makes the prepares and the commits children of the transaction, in the caller's trace", () =>
    InProcessOrchestrator.run({ sagas: [], participants: ['bank-a', 'bank-b'] }, async (skald) => {
      const traceId = randomBytes(16).toString('hex');
      const callerSpanId = randomBytes(8).toString('hex');
      const { id } = await skald.twoPhase.begin({
        participants,
        traceParent: `00-${traceId}-${callerSpanId}-01`,
      });
      const spanOf = (traceParent: string | undefined) => {
        const parent = parseTraceParent(traceParent);
        assert.ok(parent, 'the message carries a traceparent');
        assert.equal(parent.traceId, traceId);
        const span = exporter
          .getFinishedSpans()
          .find((s) => s.spanContext().spanId === parent.spanId);
        assert.ok(span, 'its span was exported');
        return span;
      };
      const transaction = exporter.getFinishedSpans().find((s) => s.name === '2pc transaction');
      assert.ok(transaction);
      assert.equal(transaction.parentSpanContext?.spanId, callerSpanId);
      assert.equal(transaction.attributes['skald.saga.id'], id);

      const prepares = await skald.queuedCommands();
      assert.deepEqual(
        prepares.map((c) => spanOf(c.traceParent).name),
        ['prepare bank-a', 'prepare bank-b'],
      );
      await skald.publishOutbox();
      await skald.deliver(...prepares.map((c) => skald.replyTo(c, { outcome: 'success' })));
      const commits = await skald.queuedCommands();
      for (const [i, command] of [...prepares, ...commits].entries()) {
        const span = spanOf(command.traceParent);
        assert.equal(span.parentSpanContext?.spanId, transaction.spanContext().spanId);
        assert.equal(span.attributes['skald.phase'], i < 2 ? 'prepare' : 'commit');
      }
      assert.deepEqual(
        commits.map((c) => spanOf(c.traceParent).name),
        ['commit bank-a', 'commit bank-b'],
      );
    }));
});
