import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadOrchestratorConfig } from './orchestrator-config';

const valid = {
  DATABASE_URL: 'postgres://u:p@localhost:5432/skald',
  KAFKA_BROKERS: 'localhost:9092',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadOrchestratorConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('loadOrchestratorConfig', () => {
  it('applies defaults to a minimal environment', () => {
    const config = loadOrchestratorConfig(valid);
    assert.equal(config.port, 3000);
    assert.equal(config.topicPrefix, 'skald');
    assert.equal(config.topicReplication, -1, "the broker's default.replication.factor");
    assert.equal(config.runMigrations, true);
    assert.deepEqual(config.kafkaBrokers, ['localhost:9092']);
    assert.deepEqual(config.bulk, {
      sagasPerSecond: 50,
      maxSagasPerJob: 10_000,
      maxRunningJobs: 2,
    });
    assert.equal(config.retentionMs, 30 * 86_400_000, 'finished sagas kept 30 days');
    assert.equal(config.allowBreakingDefinitions, false, 'a breaking deploy is refused');
  });

  it('keeps finished sagas forever on request, and names a bad retention', () => {
    assert.equal(
      loadOrchestratorConfig({ ...valid, SKALD_RETENTION_DAYS: 'forever' }).retentionMs,
      null,
    );
    for (const bad of ['0', '-3', '1.5', 'always', '100000']) {
      assert.deepEqual(problemsOf({ ...valid, SKALD_RETENTION_DAYS: bad }), [
        'SKALD_RETENTION_DAYS must be a whole number of days between 1 and 99999, or forever',
      ]);
    }
    assert.deepEqual(problemsOf({ ...valid, SKALD_ALLOW_BREAKING_DEFINITIONS: 'yes' }), [
      'SKALD_ALLOW_BREAKING_DEFINITIONS must be true or false',
    ]);
  });

  it('parses every variable it knows', () => {
    const config = loadOrchestratorConfig({
      ...valid,
      KAFKA_BROKERS: 'a:1,b:2',
      PORT: '8080',
      SKALD_TOPIC_PREFIX: 'acme.prod',
      SKALD_MIGRATIONS_RUN: 'false',
      SKALD_DB_POOL_SIZE: '7',
      LOG_LEVEL: 'debug',
      SKALD_INSTANCE_ID: 'orch-1',
      SKALD_SAGAS: 'dist/a.js, dist/b.js',
      SKALD_TOPIC_PARTITIONS: '8',
      SKALD_TOPIC_REPLICATION: '3',
      SKALD_BODY_LIMIT: '2mb',
      SKALD_TIMER_POLL_MS: '50',
      SKALD_RELAY_CONCURRENCY: '3',
      SKALD_COMMAND_HANDOFF: 'false',
      SKALD_REPLY_CONSUMERS: '5',
      SKALD_MAX_IN_FLIGHT: '16',
      SKALD_BREAKER_FAILURES: '3',
      SKALD_BREAKER_OPEN_MS: '2000',
      SKALD_BREAKER_PROBES: '2',
      SKALD_BREAKER_MODE: 'fail-fast',
      SKALD_RETRIES_PER_SECOND: '5',
      SKALD_RATE_PER_SECOND: '50',
      SKALD_PARTICIPANT_LIMITS: '{"cars":{"maxInFlight":4,"ratePerSecond":20}}',
      SKALD_LEASE_MS: '3000',
      SKALD_INBOX_RETENTION_MS: '60000',
      SKALD_BULK_RATE: '20',
      SKALD_BULK_MAX_SAGAS: '500',
      SKALD_BULK_MAX_JOBS: '3',
      SKALD_RETENTION_DAYS: '2',
      SKALD_ALLOW_BREAKING_DEFINITIONS: 'true',
    });
    assert.deepEqual(config, {
      databaseUrl: valid.DATABASE_URL,
      kafkaBrokers: ['a:1', 'b:2'],
      kafkaCredentials: {},
      port: 8080,
      topicPrefix: 'acme.prod',
      runMigrations: false,
      dbPoolSize: 7,
      dbPreparedStatements: true,
      logLevel: 'debug',
      instanceId: 'orch-1',
      sagaModules: ['dist/a.js', 'dist/b.js'],
      topicPartitions: 8,
      topicReplication: 3,
      bodyLimit: '2mb',
      timerPollMs: 50,
      outboxPollMs: 60_000,
      outboxBatchSize: 500,
      relayConcurrency: 3,
      commandHandoff: false,
      replyConsumers: 5,
      flowControl: {
        maxInFlight: 16,
        failureThreshold: 3,
        openMs: 2_000,
        halfOpenProbes: 2,
        mode: 'fail-fast',
        retriesPerSecond: 5,
        ratePerSecond: 50,
      },
      participantLimits: {
        cars: {
          maxInFlight: 4,
          failureThreshold: 3,
          openMs: 2_000,
          halfOpenProbes: 2,
          mode: 'fail-fast',
          retriesPerSecond: 5,
          ratePerSecond: 20,
        },
      },
      leaseMs: 3_000,
      inboxRetentionMs: 60_000,
      bulk: { sagasPerSecond: 20, maxSagasPerJob: 500, maxRunningJobs: 3 },
      retentionMs: 2 * 86_400_000,
      allowBreakingDefinitions: true,
      twoPhaseResendMs: 2_000,
      twoPhaseTimeoutMs: 30_000,
      twoPhaseResendMaxMs: 60_000,
      twoPhaseAckTimeoutMs: 3_600_000,
      apiKeys: [],
      publicMetricsAndDocs: false,
    });
  });

  it('names each missing variable', () => {
    const problems = problemsOf({});
    assert.equal(problems.length, 2);
    assert.match(problems[0], /^DATABASE_URL is required/);
    assert.match(problems[1], /^KAFKA_BROKERS is required/);
  });

  it('gives one line per bad value', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://x',
      KAFKA_BROKERS: 'localhost',
      PORT: 'eighty',
      SKALD_MIGRATIONS_RUN: 'maybe',
      LOG_LEVEL: 'loud',
      SKALD_TOPIC_PREFIX: 'has space',
    });
    assert.deepEqual(
      problems.map((p) => p.split(' ')[0]),
      [
        'DATABASE_URL',
        'KAFKA_BROKERS',
        'PORT',
        'SKALD_TOPIC_PREFIX',
        'SKALD_MIGRATIONS_RUN',
        'LOG_LEVEL',
      ],
    );
  });

  it('rejects an unknown breaker mode and a zero bulkhead, naming the variable', () => {
    assert.deepEqual(
      problemsOf({ ...valid, SKALD_BREAKER_MODE: 'panic', SKALD_MAX_IN_FLIGHT: '0' }),
      [
        'SKALD_MAX_IN_FLIGHT must be an integer between 1 and 1000000',
        'SKALD_BREAKER_MODE must be one of wait, fail-fast',
      ],
    );
  });

  it('rejects a port out of range', () => {
    assert.match(
      problemsOf({ ...valid, PORT: '70000' })[0],
      /PORT must be an integer between 0 and 65535/,
    );
  });

  it('reads the Kafka credentials (KAFKA_SASL_*, KAFKA_TLS_*), their problems beside the others', () => {
    const config = loadOrchestratorConfig({
      ...valid,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'skald',
      KAFKA_SASL_PASSWORD: 'secret-of-skald',
      KAFKA_TLS: 'true',
    });
    assert.deepEqual(config.kafkaCredentials, {
      sasl: { mechanism: 'scram-sha-512', username: 'skald', password: 'secret-of-skald' },
      ssl: { rejectUnauthorized: true },
    });
    assert.deepEqual(
      problemsOf({ ...valid, PORT: 'x', KAFKA_SASL_MECHANISM: 'md5', KAFKA_TLS: 'maybe' }),
      [
        'PORT must be an integer between 0 and 65535',
        'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512',
        'KAFKA_TLS must be true or false',
      ],
    );
  });

  it('gives each participant of SKALD_PARTICIPANT_LIMITS its own limits over the global ones', () => {
    const config = loadOrchestratorConfig({
      ...valid,
      SKALD_RATE_PER_SECOND: '100',
      SKALD_PARTICIPANT_LIMITS: JSON.stringify({
        cars: { maxInFlight: 4, breaker: { failureThreshold: 2, openMs: 500 } },
        hotels: { ratePerSecond: null, retriesPerSecond: 3 },
      }),
    });
    assert.equal(config.flowControl.ratePerSecond, 100);
    assert.deepEqual(config.participantLimits.cars, {
      ...config.flowControl,
      maxInFlight: 4,
      failureThreshold: 2,
      openMs: 500,
    });
    assert.deepEqual(config.participantLimits.hotels, {
      ...config.flowControl,
      ratePerSecond: null,
      retriesPerSecond: 3,
    });
    assert.deepEqual(loadOrchestratorConfig(valid).participantLimits, {});
  });

  it('reads SKALD_PARTICIPANT_LIMITS_FILE, refuses it beside SKALD_PARTICIPANT_LIMITS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skald-limits-'));
    const path = join(dir, 'limits.json');
    writeFileSync(path, '{"cars":{"maxInFlight":2}}');
    const config = loadOrchestratorConfig({ ...valid, SKALD_PARTICIPANT_LIMITS_FILE: path });
    assert.equal(config.participantLimits.cars.maxInFlight, 2);
    assert.deepEqual(
      problemsOf({ ...valid, SKALD_PARTICIPANT_LIMITS_FILE: path, SKALD_PARTICIPANT_LIMITS: '{}' }),
      ['set SKALD_PARTICIPANT_LIMITS or SKALD_PARTICIPANT_LIMITS_FILE, not both'],
    );
    writeFileSync(path, '{"cars":{"maxInFlight":0}}');
    assert.deepEqual(problemsOf({ ...valid, SKALD_PARTICIPANT_LIMITS_FILE: path }), [
      `SKALD_PARTICIPANT_LIMITS_FILE ${path}: participant "cars": maxInFlight must be an integer between 1 and 1000000`,
    ]);
    assert.match(
      problemsOf({ ...valid, SKALD_PARTICIPANT_LIMITS_FILE: join(dir, 'missing.json') })[0],
      /^SKALD_PARTICIPANT_LIMITS_FILE .*missing\.json cannot be read \(ENOENT\)$/,
    );
  });

  it('refuses bad per-participant limits, naming the participant and the field', () => {
    const limits = (value: unknown) =>
      problemsOf({ ...valid, SKALD_PARTICIPANT_LIMITS: JSON.stringify(value) });
    assert.deepEqual(
      limits({
        cars: { maxInFlight: 'four', ratePerSecond: 0, breaker: { openMs: 1.5, probes: 1 } },
        hotels: { maxInflight: 3 },
        'bad name': {},
        flights: 7,
      }),
      [
        'SKALD_PARTICIPANT_LIMITS: participant "cars": breaker: unknown field "probes" (known: failureThreshold, openMs, halfOpenProbes)',
        'SKALD_PARTICIPANT_LIMITS: participant "cars": maxInFlight must be an integer between 1 and 1000000',
        'SKALD_PARTICIPANT_LIMITS: participant "cars": ratePerSecond must be an integer between 1 and 1000000',
        'SKALD_PARTICIPANT_LIMITS: participant "cars": breaker.openMs must be an integer between 10 and 3600000',
        'SKALD_PARTICIPANT_LIMITS: participant "hotels": unknown field "maxInflight" (known: maxInFlight, ratePerSecond, retriesPerSecond, breaker)',
        'SKALD_PARTICIPANT_LIMITS: participant "bad name": a name may contain only letters, digits, ".", "_" and "-"',
        'SKALD_PARTICIPANT_LIMITS: participant "flights" must be an object of limits',
      ],
    );
    assert.deepEqual(limits([1]), [
      'SKALD_PARTICIPANT_LIMITS must be a JSON object keyed by participant name, e.g. {"cars":{"maxInFlight":4,"ratePerSecond":20}}',
    ]);
    assert.match(
      problemsOf({ ...valid, SKALD_PARTICIPANT_LIMITS: '{cars' })[0],
      /^SKALD_PARTICIPANT_LIMITS is not JSON \(/,
    );
    assert.deepEqual(problemsOf({ ...valid, SKALD_RATE_PER_SECOND: '0' }), [
      'SKALD_RATE_PER_SECOND must be an integer between 1 and 1000000',
    ]);
  });
});
