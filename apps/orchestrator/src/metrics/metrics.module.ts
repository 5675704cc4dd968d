import { Controller, Get, Global, Header, Injectable, Module } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MetricsAndDocs } from '../auth/api-key.guard';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/** The orchestrator's Prometheus counters, on a registry of its own (not prom-client's global one). */
@Injectable()
export class SkaldMetrics {
  readonly registry = new Registry();
  readonly sagasStarted = new Counter({
    name: 'skald_sagas_started_total',
    help: 'Sagas started, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly sagasFinished = new Counter({
    name: 'skald_sagas_finished_total',
    help: 'Sagas that reached a terminal status (completed, compensated, failed), by type',
    labelNames: ['type', 'status'],
    registers: [this.registry],
  });
  readonly replies = new Counter({
    name: 'skald_replies_total',
    help: 'Replies consumed, by result (applied, fence-acknowledged, duplicate, stale, unknown-correlation, saga-mismatch, malformed, dead-lettered)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly replySignatureRefusals = new Counter({
    name: 'skald_reply_signature_refusals_total',
    help: 'Replies refused and dead-lettered by the signature check, never applied, by the check that failed (missing, unknown-key, bad-signature)',
    labelNames: ['check'],
    registers: [this.registry],
  });
  readonly outboxPublished = new Counter({
    name: 'skald_outbox_published_total',
    help: 'Outbox records published to Kafka',
    registers: [this.registry],
  });
  readonly outboxPublishFailures = new Counter({
    name: 'skald_outbox_publish_failures_total',
    help: "Sends of a topic's outbox records the broker refused (the topic is then held, its records wait), by topic and error",
    labelNames: ['topic', 'error'],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'skald_dead_letters_total',
    help: 'Messages parked on the dead-letter topic, by source topic',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly timersFired = new Counter({
    name: 'skald_timers_fired_total',
    help: 'Durable timers fired, by kind and whether they still applied',
    labelNames: ['kind', 'applied'],
    registers: [this.registry],
  });

  readonly breakerTransitions = new Counter({
    name: 'skald_breaker_transitions_total',
    help: 'Circuit breaker state changes, by participant and new state (open, closed)',
    labelNames: ['participant', 'to'],
    registers: [this.registry],
  });
  readonly fencedWrites = new Counter({
    name: 'skald_fenced_writes_total',
    help: 'Writes refused because this instance no longer held the lease (stale fencing token), by lease',
    labelNames: ['lease'],
    registers: [this.registry],
  });
  readonly transactions = new Counter({
    name: 'skald_transactions_total',
    help: '2PC transactions started, committed, aborted and left unacknowledged (label event)',
    labelNames: ['event'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'skald_' });
  }
}

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: SkaldMetrics) {}

  @Get()
  @MetricsAndDocs()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics' })
  // text only for the 200: a 401 or 403 is the JSON error body
  @ApiOkResponse({
    description: 'the Prometheus text format',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example:
          '# HELP skald_sagas_started_total Sagas started, by type\n# TYPE skald_sagas_started_total counter\nskald_sagas_started_total{type="book-trip"} 42\n',
      },
    },
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

@Global()
@Module({ controllers: [MetricsController], providers: [SkaldMetrics], exports: [SkaldMetrics] })
export class MetricsModule {}
