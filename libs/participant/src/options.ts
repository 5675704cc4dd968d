// What a participant is configured with, and what its handlers are given: the SDK's public types.
import type { ConnectionOptions } from 'node:tls';
import type { TracerProvider } from '@opentelemetry/api';
import type { Kafka, SASLOptions } from 'kafkajs';
import type { Phase, SigningKey } from '@skald/protocol';
import type { ParticipantDatabase, TransactionClient } from './database';
import type { ParticipantFaults } from './fault-points';
import type { InDoubtTransaction } from './in-doubt';
import type { ParticipantLogger } from './observability';
import type { ForwardRecord } from './operations';
import type { PruningOptions } from './pruning';

/** What a handler knows about the command it handles. */
export interface CommandContext {
  sagaId: string;
  step: string;
  attempt: number;
  /** `ce_steprun`: 1, then +1 for each operator retry of the step (each run is a new operation). */
  run: number;
  phase: Phase;
  command: string;
  /** `ce_id` of this delivery. */
  commandId: string;
  /** With a database: the transaction the inbox row commits in. Write your effects through it. */
  tx?: TransactionClient;
  /** With a database: the raw transaction (pg PoolClient, or TypeORM EntityManager). */
  transaction?: unknown;
  /** 2PC commit and abort: what this participant's prepare handler returned. */
  prepared?: unknown;
  /**
   * With the `logger` option: a child logger whose lines carry this command's saga id, step,
   * attempt, phase, command id and trace id.
   */
  logger?: ParticipantLogger;
  /**
   * Compensations, with a database: the forward command this undoes (it ran here) — its payload
   * and the reply it got. Undo by this, not by ids the saga may never have received (a step whose
   * reply was late is compensated with its outcome unknown to the orchestrator).
   */
  forward?: ForwardRecord;
}

/** Returns the reply data (→ `success`); throws BusinessRefusal (→ `failure`) or anything else (→ `error`). */
export type CommandHandler<P = unknown, R = unknown> = (
  payload: P,
  context: CommandContext,
) => R | Promise<R>;

export interface ParticipantOptions {
  /** The participant's name: it consumes `<prefix>.commands.<name>`. */
  name: string;
  /** Brokers to connect to (with credentials, when they need them), or a kafkajs Kafka instance of yours. */
  kafka: ParticipantKafkaOptions | Kafka;
  /**
   * Your PostgreSQL (pg Pool or TypeORM DataSource). With it, each command runs effectively once
   * and fenced (see docs/participants.md); without it, delivery is at-least-once and handlers must be idempotent.
   */
  database?: ParticipantDatabase;
  /** Create the SDK's tables at start (else run PARTICIPANT_SCHEMA_SQL as a migration). @default false */
  createTables?: boolean;
  /** @default 'skald' */
  topicPrefix?: string;
  /** Partitions handled in parallel by each consumer; one saga's commands stay in order. @default 4 */
  concurrency?: number;
  /**
   * Kafka consumers of the command topic in this process, in the participant's group. Each
   * fetches on its own, so a slow partition holds up only the partitions of its consumer (kafkajs
   * fetches again only once a whole fetch is handled). @default 2
   */
  consumers?: number;
  /**
   * The most stop() takes: it waits this long for in-flight handlers and the disconnects.
   * @default 10_000
   */
  shutdownTimeoutMs?: number;
  /**
   * Where the SDK reports trouble (malformed messages, crashes, and the errors kafkajs logs, but
   * not the ones it retries by itself), one line of text each. @default console.warn (unless
   * `logger` is given)
   */
  log?: (message: string) => void;
  /**
   * A pino-compatible logger (e.g. your pino instance): the same lines as `log`, as JSON through
   * child loggers with `participant` and, for a command, `sagaId`, `step`, `attempt`, `phase`,
   * `command`, `commandId` and `traceId`. Handlers get such a child as `context.logger`. May be
   * given with `log` (both get every line). @default none
   */
  logger?: ParticipantLogger;
  /**
   * Where the SDK's spans go (one per command handled, child of the command's `traceparent`; the
   * reply carries its context). The SDK never registers a global provider. @default the global
   * provider of @opentelemetry/api (a no-op until your app registers one)
   */
  tracerProvider?: TracerProvider;
  /** Two-phase commit (onPrepare / onCommit / onAbort; needs `database`). */
  twoPhase?: TwoPhaseOptions;
  /**
   * Message signing (docs/protocol.md#signatures), with the keys the orchestrator has
   * (SKALD_SIGNING_KEYS). With it, a command without a valid `ce_signature` is dead-lettered with
   * a log line, unanswered and not run; every reply is signed. @default no signing
   */
  signing?: SigningOptions;
  /**
   * With `database`: inbox, operation and finished prepare-log rows untouched for
   * `afterDays` are deleted, in batches, at start and every `everyMs`. The horizon must be longer
   * than the orchestrator's retention and than any saga stays unfinished (docs/participants.md#pruning);
   * `false` keeps every row. @default { afterDays: 60, everyMs: 3_600_000 }
   */
  pruning?: PruningOptions | false;
  /** For crash tests only: called at each of the SDK's fault points. Leave it unset. */
  faults?: ParticipantFaults;
}

export interface SigningOptions {
  /**
   * Shared secrets, each `{ id, secret }` (an id of 1-64 letters, digits, `.`, `_`, `-`; a
   * secret of 32-512 visible ASCII characters other than `,`). The first signs replies; a command
   * signed with any of them is accepted. To rotate: add the new key second everywhere, then move
   * it first everywhere, then drop the old one. Never logged.
   */
  keys: SigningKey[];
}

/** The kafkajs client the SDK creates; `sasl` and `ssl` are passed to kafkajs as they are. */
export interface ParticipantKafkaOptions {
  brokers: string[];
  /** @default `skald-participant-<name>` */
  clientId?: string;
  /**
   * SASL login, e.g. `{ mechanism: 'scram-sha-512', username, password }` (also `plain`,
   * `scram-sha-256`, kafkajs' `aws` and `oauthbearer`). `start()` logs in to a broker first: a
   * refused login rejects it with a KafkaAuthenticationError (code KAFKA_AUTHENTICATION_FAILED)
   * naming the user, mechanism and broker, never the password. `kafkaCredentialsFromEnv(process.env)`
   * (exported here) reads the orchestrator's KAFKA_SASL_* and KAFKA_TLS_* variables into `sasl` and `ssl`.
   */
  sasl?: SASLOptions;
  /**
   * TLS: `true`, or node's tls options (`ca`, `cert`, `key`, `rejectUnauthorized`, ...). A failed
   * handshake (a certificate not trusted, a port without TLS) rejects `start()` in the same way.
   * @default no TLS
   */
  ssl?: ConnectionOptions | boolean;
}

export interface TwoPhaseOptions {
  /**
   * The orchestrator's base URL, e.g. `http://skald:3000`. A transaction prepared here with no
   * decision after `inDoubtAfterMs` is resolved by asking `GET <url>/v1/transactions/:id`.
   * Presumed abort only when the coordinator answers that it has no record (404, code
   * TRANSACTION_UNKNOWN); any other answer keeps the transaction prepared, shown in `health()`
   * and logged, and it asks again with backoff. Without it, the participant waits for the
   * coordinator's re-sends of the decision (until SKALD_TWO_PHASE_ACK_TIMEOUT_MS on its side).
   */
  coordinatorUrl?: string;
  /**
   * An API key of the orchestrator with the `read` scope (admin will do), sent as
   * `Authorization: Bearer <apiKey>` with each in-doubt question; needed when the orchestrator
   * has SKALD_API_KEYS. Without it such a coordinator answers 401, and the transaction stays in
   * doubt with a log line saying to set this. Never logged.
   */
  apiKey?: string;
  /** How long a prepared transaction waits for the decision before asking. @default 30_000 */
  inDoubtAfterMs?: number;
  /**
   * The shortest wait between two looks for in-doubt transactions. It looks at start, once a
   * transaction prepared here (or seen prepared at the last look) has waited `inDoubtAfterMs`,
   * and when a question's backoff ends: with nothing prepared, it does nothing. @default 5_000
   */
  checkEveryMs?: number;
  /**
   * With nothing prepared in sight, it still looks this often, for records another replica of
   * this participant prepared and left (it crashed and is not coming back). @default 60_000
   */
  rescanEveryMs?: number;
  /**
   * Questions about one transaction that get no decision back off from `checkEveryMs`
   * (doubling, full jitter) up to this. @default 60_000
   */
  askAgainMaxMs?: number;
}

export interface ParticipantHealth {
  status: 'up' | 'down';
  consuming: boolean;
  lastError?: string;
  /** With `twoPhase.coordinatorUrl`: transactions prepared here the coordinator gave no decision for. */
  inDoubt?: InDoubtTransaction[];
}
