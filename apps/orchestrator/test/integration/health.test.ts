import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createTestDatabase,
  spawnOrchestrator,
  startLocalKafka,
  waitForHttp,
  type LocalKafka,
  type OrchestratorProcess,
  type TestDatabase,
} from '@skald/testing';

interface HealthBody {
  status: string;
  details: Record<string, { status: string }>;
}

describe('GET /health of a running orchestrator process', () => {
  // a broker of its own: this test stops it, which must not disturb other test files
  let kafka: LocalKafka;
  let db: TestDatabase;
  let orchestrator: OrchestratorProcess;

  before(async () => {
    [kafka, db] = await Promise.all([startLocalKafka(), createTestDatabase()]);
    orchestrator = await spawnOrchestrator({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafka.brokers.join(','),
      LOG_LEVEL: 'info',
    });
  });
  after(async () => {
    await orchestrator.stop('SIGKILL');
    await Promise.all([kafka.stop(), db.drop()]);
  });

  it('answers 200 with PostgreSQL and Kafka up', async () => {
    const res = await waitForHttp(`${orchestrator.url}/health`, { process: orchestrator });
    const body = (await res.json()) as HealthBody;
    assert.equal(body.status, 'ok');
    assert.equal(body.details.postgres.status, 'up');
    assert.equal(body.details.kafka.status, 'up');
  });

  it('serves Prometheus metrics and the OpenAPI document', async () => {
    const metrics = await fetch(`${orchestrator.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    assert.match(text, /^skald_process_cpu_seconds_total /m);
    assert.match(text, /^skald_reply_consumer_lag \d+$/m);

    const openApi = (await (await fetch(`${orchestrator.url}/docs-json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    assert.match(openApi.openapi, /^3\./);
    assert.ok('/health' in openApi.paths && '/metrics' in openApi.paths);
  });

  it('answers 503 naming Kafka once the broker process is gone', async () => {
    await kafka.stop();
    const res = await waitForHttp(`${orchestrator.url}/health`, { status: 503, timeoutMs: 30_000 });
    const body = (await res.json()) as HealthBody;
    assert.equal(body.status, 'error');
    assert.equal(body.details.postgres.status, 'up');
    assert.equal(body.details.kafka.status, 'down');
  });

  it('still serves /metrics at once without Kafka, the reply lag at its last value', async () => {
    // longer than the lag's read interval (5 s): some of these scrapes ask the broker that is gone
    const until = Date.now() + 6_000;
    while (Date.now() < until) {
      const started = Date.now();
      const metrics = await fetch(`${orchestrator.url}/metrics`);
      assert.equal(metrics.status, 200);
      assert.ok(Date.now() - started < 2_500, `answered in ${Date.now() - started} ms`);
      assert.match(await metrics.text(), /^skald_reply_consumer_lag \d+$/m);
    }
  });

  it('exits 0 on SIGTERM after closing its connections', async () => {
    const started = Date.now();
    assert.equal(await orchestrator.stop('SIGTERM'), 0);
    assert.ok(Date.now() - started < 20_000, 'within the shutdown grace period');
    assert.match(orchestrator.output(), /SIGTERM received/);
  });
});
