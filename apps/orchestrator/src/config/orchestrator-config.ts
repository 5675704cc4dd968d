import { readFileSync } from 'node:fs';
import { kafkaCredentialsFromEnv, SkaldError, type KafkaCredentials } from '@skald/protocol';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { parseApiKeys, toApiKeys, type ApiKey } from '../auth/api-keys';
import { parseSigningSettings, type SigningSettings } from '../auth/message-signing';
import { BREAKER_MODES, type FlowControlOptions } from '../resilience/flow-control';
import { OrchestratorEnv, type LogLevel } from './orchestrator-env';
import { loadParticipantLimits } from './participant-limits';

export type { LogLevel };

const DAY_MS = 86_400_000;
/** SKALD_RETENTION_DAYS when unset. */
export const DEFAULT_RETENTION_DAYS = 30;

/** Validated configuration the orchestrator runs with. */
export interface CompiledOrchestratorConfig {
  readonly databaseUrl: string;
  readonly kafkaBrokers: readonly string[];
  /** SASL and TLS towards the brokers (KAFKA_SASL_*, KAFKA_TLS_*); empty: neither. Never logged. */
  readonly kafkaCredentials: KafkaCredentials;
  readonly port: number;
  readonly topicPrefix: string;
  readonly runMigrations: boolean;
  readonly dbPoolSize: number;
  /** The engine's statements as named prepared statements (off for PgBouncer < 1.21 in transaction mode). */
  readonly dbPreparedStatements: boolean;
  readonly logLevel: LogLevel;
  /** Names this process in Kafka client ids and logs. */
  readonly instanceId: string;
  /** Modules to load saga definitions from (SKALD_SAGAS). */
  readonly sagaModules: readonly string[];
  /** Partitions of the topics Skald creates: replies, dead letters, participants' commands. */
  readonly topicPartitions: number;
  /** Replication factor of the topics Skald creates; -1: the broker's default.replication.factor. */
  readonly topicReplication: number;
  /** Largest accepted request body, e.g. `1mb`. */
  readonly bodyLimit: string;
  /**
   * The timer poller's longest sleep: it sleeps until the next due time and is woken by commits
   * that set an earlier one, so this is only a safety net (SKALD_TIMER_POLL_MS).
   */
  readonly timerPollMs: number;
  /** The relay's longest sleep when nothing wakes it (notifications, signals): a safety net. */
  readonly outboxPollMs: number;
  /** Outbox rows published per Kafka batch. */
  readonly outboxBatchSize: number;
  /** Relay batches in flight at once (each holds a connection while it waits on Kafka). */
  readonly relayConcurrency: number;
  /**
   * The engine sends the commands it queued itself once committed, where no queue or budget
   * needs the relay (SKALD_COMMAND_HANDOFF; sending/command-handoff.ts).
   */
  readonly commandHandoff: boolean;
  /** Kafka consumers of the reply topic in this process, in one group: fetches in flight at once. */
  readonly replyConsumers: number;
  /** Circuit breaker, bulkhead, rate limit and retry budget of each participant not in `participantLimits`. */
  readonly flowControl: FlowControlOptions;
  /** Participants with limits of their own (SKALD_PARTICIPANT_LIMITS), every field resolved. */
  readonly participantLimits: Readonly<Record<string, FlowControlOptions>>;
  /** Lease of the singleton housekeeping job: taken over this long after its holder stops renewing. */
  readonly leaseMs: number;
  /** Reply ids older than this are pruned from the orchestrator's inbox. */
  readonly inboxRetentionMs: number;
  /** Bulk actions by filter (POST /v1/sagas/bulk): their pace and caps. */
  readonly bulk: BulkLimits;
  /**
   * Sagas that ended `completed` or `compensated`, and 2PC transactions `committed` or `aborted`,
   * are deleted this long after they ended (SKALD_RETENTION_DAYS); null: kept forever.
   */
  readonly retentionMs: number | null;
  /**
   * Start even when the registered definitions would break unfinished sagas (they are then
   * marked `definition-missing`), instead of refusing to (SKALD_ALLOW_BREAKING_DEFINITIONS).
   */
  readonly allowBreakingDefinitions: boolean;
  /** 2PC: unanswered prepares are re-sent this often; a decision first after this, then backing off. */
  readonly twoPhaseResendMs: number;
  /** 2PC: the longest wait between two re-sends of a decision. */
  readonly twoPhaseResendMaxMs: number;
  /** 2PC: a decision unacknowledged this long after it was taken → status `unacknowledged`. */
  readonly twoPhaseAckTimeoutMs: number;
  /** 2PC: prepare timeout of a transaction that names none (no decision by then → abort). */
  readonly twoPhaseTimeoutMs: number;
  /** The API keys (digests, never secrets); none: the API is open. */
  readonly apiKeys: readonly ApiKey[];
  /** With keys: /metrics and /docs answer without one (SKALD_PUBLIC_METRICS_AND_DOCS). */
  readonly publicMetricsAndDocs: boolean;
  /** Message signing (SKALD_SIGNING_*); absent: commands go unsigned and replies are not checked. */
  readonly signing?: SigningSettings;
}

/** How bulk jobs are kept from starving normal traffic. */
export interface BulkLimits {
  /** Sagas acted on per second, across all running jobs and instances (SKALD_BULK_RATE). @default 50 */
  readonly sagasPerSecond: number;
  /** A job matching more sagas is refused with a 400 (SKALD_BULK_MAX_SAGAS). @default 10000 */
  readonly maxSagasPerJob: number;
  /** Jobs running at once; one more is refused with a 429 (SKALD_BULK_MAX_JOBS). @default 2 */
  readonly maxRunningJobs: number;
}

/** Configuration was missing or wrong; `problems` has one human-readable line per bad variable. */
export class ConfigError extends SkaldError {
  readonly code = 'INVALID_CONFIG';
  readonly retryable = false;

  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads and validates the environment once; throws `ConfigError` listing every bad value. */
export function loadOrchestratorConfig(env: NodeJS.ProcessEnv): CompiledOrchestratorConfig {
  const raw = plainToInstance(OrchestratorEnv, {
    DATABASE_URL: env.DATABASE_URL,
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    PORT: env.PORT,
    SKALD_TOPIC_PREFIX: env.SKALD_TOPIC_PREFIX,
    SKALD_MIGRATIONS_RUN: env.SKALD_MIGRATIONS_RUN,
    SKALD_DB_POOL_SIZE: env.SKALD_DB_POOL_SIZE,
    SKALD_DB_PREPARED_STATEMENTS: env.SKALD_DB_PREPARED_STATEMENTS,
    SKALD_COMMAND_HANDOFF: env.SKALD_COMMAND_HANDOFF,
    LOG_LEVEL: env.LOG_LEVEL,
    SKALD_INSTANCE_ID: env.SKALD_INSTANCE_ID,
    SKALD_SAGAS: env.SKALD_SAGAS,
    SKALD_TOPIC_PARTITIONS: env.SKALD_TOPIC_PARTITIONS,
    SKALD_TOPIC_REPLICATION: env.SKALD_TOPIC_REPLICATION,
    SKALD_BODY_LIMIT: env.SKALD_BODY_LIMIT,
    SKALD_TIMER_POLL_MS: env.SKALD_TIMER_POLL_MS,
    SKALD_RELAY_CONCURRENCY: env.SKALD_RELAY_CONCURRENCY,
    SKALD_REPLY_CONSUMERS: env.SKALD_REPLY_CONSUMERS,
    SKALD_MAX_IN_FLIGHT: env.SKALD_MAX_IN_FLIGHT,
    SKALD_BREAKER_FAILURES: env.SKALD_BREAKER_FAILURES,
    SKALD_BREAKER_OPEN_MS: env.SKALD_BREAKER_OPEN_MS,
    SKALD_BREAKER_PROBES: env.SKALD_BREAKER_PROBES,
    SKALD_BREAKER_MODE: env.SKALD_BREAKER_MODE,
    SKALD_RETRIES_PER_SECOND: env.SKALD_RETRIES_PER_SECOND,
    SKALD_RATE_PER_SECOND: env.SKALD_RATE_PER_SECOND,
    SKALD_PARTICIPANT_LIMITS: env.SKALD_PARTICIPANT_LIMITS,
    SKALD_PARTICIPANT_LIMITS_FILE: env.SKALD_PARTICIPANT_LIMITS_FILE,
    SKALD_LEASE_MS: env.SKALD_LEASE_MS,
    SKALD_INBOX_RETENTION_MS: env.SKALD_INBOX_RETENTION_MS,
    SKALD_BULK_RATE: env.SKALD_BULK_RATE,
    SKALD_BULK_MAX_SAGAS: env.SKALD_BULK_MAX_SAGAS,
    SKALD_BULK_MAX_JOBS: env.SKALD_BULK_MAX_JOBS,
    SKALD_RETENTION_DAYS: env.SKALD_RETENTION_DAYS,
    SKALD_ALLOW_BREAKING_DEFINITIONS: env.SKALD_ALLOW_BREAKING_DEFINITIONS,
    SKALD_TWO_PHASE_RESEND_MS: env.SKALD_TWO_PHASE_RESEND_MS,
    SKALD_TWO_PHASE_TIMEOUT_MS: env.SKALD_TWO_PHASE_TIMEOUT_MS,
    SKALD_TWO_PHASE_RESEND_MAX_MS: env.SKALD_TWO_PHASE_RESEND_MAX_MS,
    SKALD_TWO_PHASE_ACK_TIMEOUT_MS: env.SKALD_TWO_PHASE_ACK_TIMEOUT_MS,
    SKALD_API_KEYS: env.SKALD_API_KEYS,
    SKALD_API_KEYS_FILE: env.SKALD_API_KEYS_FILE,
    SKALD_PUBLIC_METRICS_AND_DOCS: env.SKALD_PUBLIC_METRICS_AND_DOCS,
  });
  const problems = validateSync(raw, { skipUndefinedProperties: false }).map((e) =>
    e.value === undefined
      ? `${e.property} is required: ${Object.values(e.constraints ?? {})[0]}`
      : (Object.values(e.constraints ?? {})[0] ?? `${e.property} is invalid`),
  );
  const apiKeys = loadApiKeys(raw.SKALD_API_KEYS, raw.SKALD_API_KEYS_FILE);
  problems.push(...apiKeys.problems);

  // ---- message signing (docs/protocol.md#signatures): parsed on its own, problems never quote a secret
  const signingFile = readListFile('SKALD_SIGNING_KEYS_FILE', env.SKALD_SIGNING_KEYS_FILE);
  const signing =
    'problem' in signingFile
      ? { problems: [signingFile.problem] }
      : parseSigningSettings({
          keys: env.SKALD_SIGNING_KEYS,
          file: signingFile.file,
          participants: env.SKALD_SIGNING_PARTICIPANTS || undefined,
        });
  problems.push(...signing.problems);
  // ---- end of message signing

  // Kafka credentials: KAFKA_SASL_* and KAFKA_TLS_*, read as the demo and the conformance kit read them
  const kafka = kafkaCredentialsFromEnv(env);
  problems.push(...kafka.problems);

  const flowControl: FlowControlOptions = {
    maxInFlight: raw.SKALD_MAX_IN_FLIGHT ?? 1_000,
    failureThreshold: raw.SKALD_BREAKER_FAILURES ?? 5,
    openMs: raw.SKALD_BREAKER_OPEN_MS ?? 10_000,
    halfOpenProbes: raw.SKALD_BREAKER_PROBES ?? 1,
    mode: raw.SKALD_BREAKER_MODE ?? BREAKER_MODES.wait,
    retriesPerSecond: raw.SKALD_RETRIES_PER_SECOND ?? 100,
    ratePerSecond: raw.SKALD_RATE_PER_SECOND ?? null,
  };
  const limitsFile = readListFile(
    'SKALD_PARTICIPANT_LIMITS_FILE',
    raw.SKALD_PARTICIPANT_LIMITS_FILE,
  );
  const participantLimits =
    'problem' in limitsFile
      ? { limits: {}, problems: [limitsFile.problem] }
      : loadParticipantLimits(raw.SKALD_PARTICIPANT_LIMITS, limitsFile.file, flowControl);
  problems.push(...participantLimits.problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    databaseUrl: raw.DATABASE_URL,
    kafkaBrokers: raw.KAFKA_BROKERS.split(','),
    kafkaCredentials: kafka.credentials,
    port: raw.PORT ?? 3000,
    topicPrefix: raw.SKALD_TOPIC_PREFIX ?? 'skald',
    runMigrations: raw.SKALD_MIGRATIONS_RUN ?? true,
    dbPoolSize: raw.SKALD_DB_POOL_SIZE ?? 20,
    dbPreparedStatements: raw.SKALD_DB_PREPARED_STATEMENTS ?? true,
    logLevel: raw.LOG_LEVEL ?? 'info',
    instanceId: raw.SKALD_INSTANCE_ID ?? `orchestrator-${process.pid}`,
    sagaModules: (raw.SKALD_SAGAS ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
    topicPartitions: raw.SKALD_TOPIC_PARTITIONS ?? 4,
    topicReplication: raw.SKALD_TOPIC_REPLICATION ?? -1,
    bodyLimit: raw.SKALD_BODY_LIMIT ?? '1mb',
    timerPollMs: raw.SKALD_TIMER_POLL_MS ?? 60_000,
    outboxPollMs: 60_000,
    outboxBatchSize: 500,
    relayConcurrency: raw.SKALD_RELAY_CONCURRENCY ?? 4,
    commandHandoff: raw.SKALD_COMMAND_HANDOFF ?? true,
    replyConsumers: raw.SKALD_REPLY_CONSUMERS ?? 2,
    flowControl,
    participantLimits: participantLimits.limits,
    // renewed every third of it: one statement a minute while idle
    leaseMs: raw.SKALD_LEASE_MS ?? 180_000,
    inboxRetentionMs: raw.SKALD_INBOX_RETENTION_MS ?? 7 * 24 * 3_600_000,
    bulk: {
      sagasPerSecond: raw.SKALD_BULK_RATE ?? 50,
      maxSagasPerJob: raw.SKALD_BULK_MAX_SAGAS ?? 10_000,
      maxRunningJobs: raw.SKALD_BULK_MAX_JOBS ?? 2,
    },
    retentionMs:
      raw.SKALD_RETENTION_DAYS === 'forever'
        ? null
        : Number(raw.SKALD_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS) * DAY_MS,
    allowBreakingDefinitions: raw.SKALD_ALLOW_BREAKING_DEFINITIONS ?? false,
    twoPhaseResendMs: raw.SKALD_TWO_PHASE_RESEND_MS ?? 2_000,
    twoPhaseTimeoutMs: raw.SKALD_TWO_PHASE_TIMEOUT_MS ?? 30_000,
    twoPhaseResendMaxMs: raw.SKALD_TWO_PHASE_RESEND_MAX_MS ?? 60_000,
    twoPhaseAckTimeoutMs: raw.SKALD_TWO_PHASE_ACK_TIMEOUT_MS ?? 3_600_000,
    apiKeys: toApiKeys(apiKeys.entries),
    publicMetricsAndDocs: raw.SKALD_PUBLIC_METRICS_AND_DOCS ?? false,
    ...(signing.settings ? { signing: signing.settings } : {}),
  };
}

/** The keys of SKALD_API_KEYS and SKALD_API_KEYS_FILE together; problems never quote a secret. */
function loadApiKeys(env: string | undefined, path: string | undefined) {
  const read = readListFile('SKALD_API_KEYS_FILE', path);
  if ('problem' in read) return { entries: [], problems: [read.problem] };
  return parseApiKeys({ env, file: read.file });
}

/** The text of the file a `*_FILE` variable names (none when unset), or why it cannot be read. */
function readListFile(
  variable: string,
  path: string | undefined,
): { file?: { path: string; text: string } } | { problem: string } {
  if (!path) return {};
  try {
    return { file: { path, text: readFileSync(path, 'utf8') } };
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    return { problem: `${variable} ${path} cannot be read (${reason})` };
  }
}
