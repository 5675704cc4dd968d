// The wire contract of docs/protocol.md: topic names, header names, phases and outcomes.
// Every wire name is written here once; nothing else in Skald spells them.

export const DEFAULT_TOPIC_PREFIX = 'skald';

export const commandTopic = (prefix: string, participant: string): string =>
  `${prefix}.commands.${participant}`;
export const replyTopic = (prefix: string): string => `${prefix}.replies`;
export const deadLetterTopic = (prefix: string): string => `${prefix}.dlq`;

/** Kafka's topic-name grammar: 1-249 of [a-zA-Z0-9._-], and not "." or "..". */
export const isTopicName = (name: string): boolean =>
  /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..';

/** A UUID in its canonical 8-4-4-4-12 hex form (any version, either case): message and saga ids. */
export const isUuid = (value: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/** CloudEvents 1.0 attributes in Kafka binary content mode, plus Skald's extensions. */
export const HEADERS = {
  specVersion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  contentType: 'content-type',
  traceParent: 'traceparent',
  sagaId: 'ce_sagaid',
  sagaStep: 'ce_sagastep',
  attempt: 'ce_attempt',
  /** Which run of the step this is: 1, then +1 for each operator retry (absent means 1). */
  stepRun: 'ce_steprun',
  phase: 'ce_phase',
  replyTo: 'ce_replyto',
  correlationId: 'ce_correlationid',
  outcome: 'ce_outcome',
  /** Optional: `v1:<keyId>:<HMAC-SHA256, base64url>` over the signed fields (signing.ts). */
  signature: 'ce_signature',
  /** Dead letters only: why the message was parked, and where it came from. */
  deadLetterReason: 'skald_dlq_reason',
  deadLetterTopic: 'skald_dlq_topic',
  deadLetterPartition: 'skald_dlq_partition',
  deadLetterOffset: 'skald_dlq_offset',
} as const;

/** The longest header value a decoder accepts, in bytes (Skald's own are far shorter). */
export const MAX_HEADER_BYTES = 1024;

export const SPEC_VERSION = '1.0';
export const CONTENT_TYPE = 'application/json';
/** `ce_type` of every reply. */
export const REPLY_TYPE = 'skald.reply';
/** `ce_type` of every fence (phase `fence`). */
export const FENCE_TYPE = 'skald.fence';

export const PHASES = {
  execute: 'execute',
  compensate: 'compensate',
  prepare: 'prepare',
  commit: 'commit',
  abort: 'abort',
  /** The saga gave up on a step without compensating it: never execute it from now on. */
  fence: 'fence',
} as const;
export type Phase = (typeof PHASES)[keyof typeof PHASES];
/** Phases of the commands a saga sends. A `fence` tells a participant never to run a step, and answers whether it already had. */
export type SagaPhase = typeof PHASES.execute | typeof PHASES.compensate | typeof PHASES.fence;
/** What a 2PC coordinator decided: the phase of the commands that carry the decision. */
export type TwoPhaseDecision = typeof PHASES.commit | typeof PHASES.abort;
/** Phases of the commands of a 2PC transaction. */
export type TwoPhasePhase = typeof PHASES.prepare | TwoPhaseDecision;

export const OUTCOMES = { success: 'success', failure: 'failure', error: 'error' } as const;
export type Outcome = (typeof OUTCOMES)[keyof typeof OUTCOMES];

/** Codes Skald itself puts in failure/error replies and dead letters. */
export const PROTOCOL_ERROR_CODES = {
  /** The message could not be understood (missing header, bad JSON, ...). */
  malformed: 'MALFORMED_MESSAGE',
  /** The participant has no handler for this command and phase. */
  unknownCommand: 'UNKNOWN_COMMAND',
  /** The command arrived after its compensation: refused, not executed. */
  fenced: 'FENCED',
  /**
   * HTTP, not Kafka: the `code` in the body of the coordinator's 404 to
   * `GET /v1/transactions/:id` when it has no record of the transaction. The only answer on which
   * a participant in doubt may presume abort; any other answer keeps it in doubt.
   */
  transactionUnknown: 'TRANSACTION_UNKNOWN',
  /** A participant's handler threw an error with no string `code` of its own (an `error` reply). */
  handlerError: 'HANDLER_ERROR',
} as const;
