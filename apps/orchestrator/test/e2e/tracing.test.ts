// One trace per saga across Kafka (#17 items 1 and 3): the orchestrator and two SDK participants
// as real processes, each exporting OTLP/HTTP JSON to a receiver in this test, real Kafka and
// PostgreSQL. One saga with a retry and a compensation must make ONE trace, continuing the
// caller's traceparent, with the right parent links; and its log lines, on both sides, must carry
// its saga id, step and trace id.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  findFreePort,
  OrchestratorHarness,
  startTestProcess,
  waitUntil,
  type TestProcess,
} from '@skald/testing';

const fixtures = join(__dirname, '../fixtures');

/** A span as OTLP/HTTP JSON carries it, with its attributes flattened and its service's name. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

/** OTLP's SpanKind numbers. */
const KIND = { internal: 1, producer: 4, consumer: 5 } as const;

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans: {
      spans: (Omit<ReceivedSpan, 'attributes' | 'service'> & { attributes?: OtlpAttribute[] })[];
    }[];
  }[];
}

function flatten(attributes: OtlpAttribute[] = []): ReceivedSpan['attributes'] {
  const flat: ReceivedSpan['attributes'] = {};
  for (const { key, value } of attributes) {
    const v = value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue;
    if (v !== undefined) flat[key] = typeof v === 'string' && 'intValue' in value ? Number(v) : v;
  }
  return flat;
}

/** A small OTLP/HTTP JSON trace receiver: POST /v1/traces. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    const port = await findFreePort();
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') this.take(JSON.parse(body) as OtlpExport);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${port}`;
  }

  private take(exported: OtlpExport): void {
    for (const { resource, scopeSpans } of exported.resourceSpans) {
      const service = String(flatten(resource?.attributes)['service.name'] ?? '');
      for (const { spans } of scopeSpans)
        for (const span of spans)
          this.spans.push({
            ...span,
            parentSpanId: span.parentSpanId || undefined,
            service,
            attributes: flatten(span.attributes),
          });
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The JSON lines of a process's output that are about `sagaId`. */
function sagaLines(output: string, sagaId: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.sagaId === sagaId);
}

describe('tracing and logs across the orchestrator and two participant processes', () => {
  const receiver = new OtlpReceiver();
  let harness: OrchestratorHarness;
  const participants: Record<string, TestProcess> = {};
  const callerTraceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');
  let sagaId: string;

  before(async () => {
    await receiver.start();
    harness = await OrchestratorHarness.start({
      sagas: [join(fixtures, 'traced-sagas.ts')],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        LOG_LEVEL: 'debug',
      },
    });
    for (const name of ['cars', 'payments']) {
      participants[name] = startTestProcess(
        join(fixtures, 'traced-participant.ts'),
        {
          PARTICIPANT: name,
          KAFKA_BROKERS: harness.brokers.join(','),
          SKALD_TOPIC_PREFIX: harness.topicPrefix,
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
        },
        'traced participant ready',
      );
    }
    await Promise.all(Object.values(participants).map((p) => p.ready));
    const started = await harness.request<{ id: string }>(
      'POST',
      '/v1/sagas',
      { type: 'traced-trip', input: {} },
      { traceparent: `00-${callerTraceId}-${callerSpanId}-01` },
    );
    assert.equal(started.status, 201, JSON.stringify(started.body));
    sagaId = started.body.id;
    await harness.waitForStatus(sagaId, 'compensated');
    // 4 commands: reserve, charge (error), charge again (refused), cancel; each published,
    // handled and its reply applied
    await waitUntil(() => receiver.spans.filter((s) => s.name.startsWith('process ')).length >= 4, {
      timeoutMs: 30_000,
      what: 'the reply spans',
    });
  });

  after(async () => {
    await Promise.all(Object.values(participants).map((p) => p.stop()));
    await harness?.stop();
    await receiver.stop();
  });

  const ofSaga = () => receiver.spans.filter((s) => s.attributes['skald.saga.id'] === sagaId);
  const byId = (id: string | undefined) => receiver.spans.find((s) => s.spanId === id);
  const parentOf = (span: ReceivedSpan) => byId(span.parentSpanId);

  it("makes one trace, continuing the caller's", () => {
    const spans = ofSaga();
    assert.ok(
      spans.length >= 17,
      `saga, 4 steps, 4 publishes, 4 handlers, 4 replies: ${spans.length}`,
    );
    assert.deepEqual([...new Set(spans.map((s) => s.traceId))], [callerTraceId]);
    const saga = spans.filter((s) => s.name === 'saga traced-trip');
    assert.equal(saga.length, 1);
    assert.equal(saga[0].parentSpanId, callerSpanId);
    assert.equal(saga[0].service, 'skald-orchestrator');
    assert.equal(saga[0].attributes['skald.saga.type'], 'traced-trip');
  });

  it('links saga → step attempt → publish → participant handler → reply apply', () => {
    const spans = ofSaga();
    const saga = spans.find((s) => s.name === 'saga traced-trip')!;
    const steps = spans.filter((s) => s.kind === KIND.internal && s !== saga);
    assert.deepEqual(
      steps.map((s) => `${s.name} #${s.attributes['skald.attempt']}`).sort(),
      ['compensate reserve-car #1', 'step charge #1', 'step charge #2', 'step reserve-car #1'],
      'each attempt, the retry and the compensation have a span',
    );
    for (const step of steps) {
      assert.equal(step.parentSpanId, saga.spanId, `${step.name}: child of the saga`);
      const publish = spans.filter((s) => s.parentSpanId === step.spanId);
      assert.equal(publish.length, 1, `${step.name}: one publish`);
      assert.equal(publish[0].kind, KIND.producer);
      assert.equal(publish[0].attributes['messaging.system'], 'kafka');
      assert.equal(publish[0].attributes['messaging.operation.type'], 'send');
      assert.equal(publish[0].attributes['skald.step'], step.attributes['skald.step']);
      const handlers = spans.filter((s) => s.parentSpanId === publish[0].spanId);
      assert.equal(handlers.length, 1, `${step.name}: handled once`);
      const handler = handlers[0];
      assert.equal(handler.kind, KIND.consumer);
      assert.equal(
        handler.attributes['skald.participant'],
        step.attributes['skald.participant'],
        `${step.name}: handled by its participant's process`,
      );
      assert.equal(handler.attributes['skald.attempt'], step.attributes['skald.attempt']);
      const replies = spans.filter((s) => s.parentSpanId === handler.spanId);
      assert.equal(replies.length, 1, `${step.name}: its reply applied once`);
      assert.equal(replies[0].kind, KIND.consumer);
      assert.equal(replies[0].service, 'skald-orchestrator');
      assert.equal(parentOf(parentOf(parentOf(replies[0])!)!), step);
    }
    const outcomes = spans
      .filter((s) => s.kind === KIND.consumer && s.attributes['skald.participant'] === 'payments')
      .map((s) => s.attributes['skald.outcome'])
      .sort();
    assert.deepEqual(outcomes, ['error', 'failure']);
  });

  it("carries the saga id, step and trace id on the saga's log lines, on both sides", () => {
    const orchestrator = sagaLines(harness.process.output(), sagaId);
    const queued = orchestrator.filter((l) => String(l.msg).includes('queued'));
    assert.equal(queued.length, 4, 'a line per command queued');
    assert.ok(orchestrator.some((l) => String(l.msg).includes('is compensated')));
    for (const line of orchestrator) {
      assert.equal(line.traceId, callerTraceId, JSON.stringify(line));
      assert.ok(typeof line.step === 'string', `a step: ${JSON.stringify(line)}`);
    }
    const cars = sagaLines(participants.cars.output(), sagaId);
    assert.deepEqual(
      cars.map((l) => [l.msg, l.step, l.traceId, l.participant]),
      [
        ['car reserved', 'reserve-car', callerTraceId, 'cars'],
        ['car reservation cancelled', 'reserve-car', callerTraceId, 'cars'],
      ],
    );
    const payments = sagaLines(participants.payments.output(), sagaId);
    assert.equal(payments.length, 1, 'the failed attempt is logged');
    assert.match(String(payments[0].msg), /handler failed/);
    assert.equal(payments[0].step, 'charge');
    assert.equal(payments[0].attempt, 1);
    assert.equal(payments[0].traceId, callerTraceId);
  });
});
