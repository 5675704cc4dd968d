// The orchestrator's environment as given (strings), with the rule each variable must meet:
// validated once by loadOrchestratorConfig (orchestrator-config.ts), which compiles it.
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { BREAKER_MODES, type BreakerMode } from '../resilience/flow-control';
import { FLOW_LIMIT_RANGES } from './participant-limits';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** An optional integer variable within [min, max], with one message naming it and the range. */
function IntegerBetween(min: number, max: number): PropertyDecorator {
  return (target, property) => {
    const message = `${String(property)} must be an integer between ${min} and ${max}`;
    IsOptional()(target, property);
    Transform(toInt)(target, property);
    IsInt({ message })(target, property);
    Min(min, { message })(target, property);
    Max(max, { message })(target, property);
  };
}

/** The environment the orchestrator reads, as given (strings), with the rule for each variable. */
export class OrchestratorEnv {
  @Matches(/^postgres(ql)?:\/\/\S+$/, {
    message: 'DATABASE_URL must be a postgres:// URL, e.g. postgres://user:pass@host:5432/skald',
  })
  DATABASE_URL!: string;

  @Matches(/^[^,\s:]+:\d{1,5}(,[^,\s:]+:\d{1,5})*$/, {
    message:
      'KAFKA_BROKERS must be a comma-separated list of host:port, e.g. localhost:9092,localhost:9093',
  })
  KAFKA_BROKERS!: string;

  @IntegerBetween(0, 65535)
  PORT?: number;

  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, {
    message:
      'SKALD_TOPIC_PREFIX may contain only letters, digits, ".", "_" and "-" (1-100 characters)',
  })
  SKALD_TOPIC_PREFIX?: string;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'SKALD_MIGRATIONS_RUN must be true or false' })
  SKALD_MIGRATIONS_RUN?: boolean;

  @IntegerBetween(1, 500)
  SKALD_DB_POOL_SIZE?: number;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'SKALD_DB_PREPARED_STATEMENTS must be true or false' })
  SKALD_DB_PREPARED_STATEMENTS?: boolean;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'SKALD_COMMAND_HANDOFF must be true or false' })
  SKALD_COMMAND_HANDOFF?: boolean;

  /** Comma-separated paths of compiled modules exporting saga definitions. */
  @IsOptional()
  @IsString()
  SKALD_SAGAS?: string;

  @IntegerBetween(1, 1000)
  SKALD_TOPIC_PARTITIONS?: number;

  @IntegerBetween(1, 100)
  SKALD_TOPIC_REPLICATION?: number;

  @IsOptional()
  @Matches(/^\d+(kb|mb)$/i, { message: 'SKALD_BODY_LIMIT must look like 512kb or 1mb' })
  SKALD_BODY_LIMIT?: string;

  @IntegerBetween(10, 60_000)
  SKALD_TIMER_POLL_MS?: number;

  @IntegerBetween(1, 32)
  SKALD_RELAY_CONCURRENCY?: number;

  @IntegerBetween(1, 32)
  SKALD_REPLY_CONSUMERS?: number;

  /** Flow control of each participant not listed in SKALD_PARTICIPANT_LIMITS (docs/operations.md). */
  @IntegerBetween(...FLOW_LIMIT_RANGES.maxInFlight)
  SKALD_MAX_IN_FLIGHT?: number;

  @IntegerBetween(...FLOW_LIMIT_RANGES.failureThreshold)
  SKALD_BREAKER_FAILURES?: number;

  @IntegerBetween(...FLOW_LIMIT_RANGES.openMs)
  SKALD_BREAKER_OPEN_MS?: number;

  @IntegerBetween(...FLOW_LIMIT_RANGES.halfOpenProbes)
  SKALD_BREAKER_PROBES?: number;

  @IsOptional()
  @IsIn(Object.values(BREAKER_MODES), {
    message: `SKALD_BREAKER_MODE must be one of ${Object.values(BREAKER_MODES).join(', ')}`,
  })
  SKALD_BREAKER_MODE?: BreakerMode;

  @IntegerBetween(...FLOW_LIMIT_RANGES.retriesPerSecond)
  SKALD_RETRIES_PER_SECOND?: number;

  /** Unset: no rate limit; retries still keep to SKALD_RETRIES_PER_SECOND. */
  @IntegerBetween(...FLOW_LIMIT_RANGES.ratePerSecond)
  SKALD_RATE_PER_SECOND?: number;

  /** Per-participant flow control, JSON keyed by participant name (participant-limits.ts). */
  @IsOptional()
  @IsString()
  SKALD_PARTICIPANT_LIMITS?: string;

  @IsOptional()
  @IsString()
  SKALD_PARTICIPANT_LIMITS_FILE?: string;

  /** Lease of the singleton housekeeping job, and how long reply ids stay in the inbox. */
  @IntegerBetween(500, 3_600_000)
  SKALD_LEASE_MS?: number;

  @IntegerBetween(1_000, 2_147_483_647)
  SKALD_INBOX_RETENTION_MS?: number;

  @IntegerBetween(1, 10_000)
  SKALD_BULK_RATE?: number;

  @IntegerBetween(1, 1_000_000)
  SKALD_BULK_MAX_SAGAS?: number;

  @IntegerBetween(1, 100)
  SKALD_BULK_MAX_JOBS?: number;
  /** Days finished sagas and 2PC transactions are kept, or `forever`. */
  @IsOptional()
  @Matches(/^(forever|[1-9]\d{0,4})$/, {
    message: 'SKALD_RETENTION_DAYS must be a whole number of days between 1 and 99999, or forever',
  })
  SKALD_RETENTION_DAYS?: string;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'SKALD_ALLOW_BREAKING_DEFINITIONS must be true or false' })
  SKALD_ALLOW_BREAKING_DEFINITIONS?: boolean;

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'SKALD_TWO_PHASE_RESEND_MS must be an integer between 50 and 600000' })
  @Min(50, { message: 'SKALD_TWO_PHASE_RESEND_MS must be an integer between 50 and 600000' })
  @Max(600_000, { message: 'SKALD_TWO_PHASE_RESEND_MS must be an integer between 50 and 600000' })
  SKALD_TWO_PHASE_RESEND_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'SKALD_TWO_PHASE_TIMEOUT_MS must be an integer between 100 and 3600000' })
  @Min(100, { message: 'SKALD_TWO_PHASE_TIMEOUT_MS must be an integer between 100 and 3600000' })
  @Max(3_600_000, {
    message: 'SKALD_TWO_PHASE_TIMEOUT_MS must be an integer between 100 and 3600000',
  })
  SKALD_TWO_PHASE_TIMEOUT_MS?: number;

  /** 2PC: re-sends of an unacknowledged decision back off up to this. */
  @IntegerBetween(50, 3_600_000)
  SKALD_TWO_PHASE_RESEND_MAX_MS?: number;

  /** 2PC: how long a decision is re-sent before the transaction is `unacknowledged` (max 30 days). */
  @IntegerBetween(100, 2_592_000_000)
  SKALD_TWO_PHASE_ACK_TIMEOUT_MS?: number;

  /** API keys, `name:scopes:secret` comma-separated (docs/rest-api.md#authentication). */
  @IsOptional()
  @IsString()
  SKALD_API_KEYS?: string;

  /** A file of API keys, one a line. */
  @IsOptional()
  @IsString()
  SKALD_API_KEYS_FILE?: string;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'SKALD_PUBLIC_METRICS_AND_DOCS must be true or false' })
  SKALD_PUBLIC_METRICS_AND_DOCS?: boolean;

  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: LogLevel;

  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, {
    message: 'SKALD_INSTANCE_ID may contain only letters, digits, ".", "_" and "-"',
  })
  SKALD_INSTANCE_ID?: string;
}
