/**
 * Skald's wire protocol (docs/protocol.md): CloudEvents 1.0 in Kafka binary content mode. Topic and
 * header names, phases, outcomes, encoders/decoders for commands and replies, message signatures
 * (`withSignature`, `verifySignature`), Skald's error model
 * (`SkaldError`, `isRetryable`), and topic set-up on an admin client the caller passes in
 * (`createMissingTopics`), Kafka credentials from the environment (`kafkaCredentialsFromEnv`) and
 * the start-up check of a login (`checkKafkaLogin`). Imports nothing.
 *
 * @example
 * import { decodeCommand, encodeReply, replyTopic } from '@skald/protocol';
 * const command = decodeCommand(kafkaMessage); // throws ProtocolError naming the bad header
 * const reply = encodeReply({ id, source: 'cars', time: new Date().toISOString(),
 *   correlationId: command.id, sagaId: command.sagaId, outcome: 'success', data: { id: 'car-1' } });
 * await producer.send({ topic: command.replyTo, messages: [reply] });
 */
export {
  decodeCommand,
  decodeReply,
  deadLetter,
  encodeCommand,
  encodeReply,
  isReplyErrorBody,
  isStorableInJsonb,
  readCorrelation,
  type CommandEnvelope,
  type ReplyEnvelope,
  type ReplyErrorBody,
  type WireMessage,
} from './envelope';
export { backoffDelayMs, doublingDelayMs, type BackoffPolicy } from './backoff';
export {
  describeFailure,
  isRetryable,
  isTransientFailure,
  isUnreachable,
  printable,
} from './failure';
export { ProtocolError, SkaldError } from './errors';
export { createMissingTopics, type TopicAdmin, type TopicLayout } from './topic-setup';
export {
  kafkaLogLine,
  kafkaLogSeverity,
  type KafkaLogEntry,
  type KafkaLogSeverity,
} from './kafka-log';
export {
  CONTENT_TYPE,
  DEFAULT_TOPIC_PREFIX,
  HEADERS,
  isTopicName,
  isUuid,
  MAX_HEADER_BYTES,
  OUTCOMES,
  PHASES,
  PROTOCOL_ERROR_CODES,
  FENCE_TYPE,
  REPLY_TYPE,
  SPEC_VERSION,
  commandTopic,
  deadLetterTopic,
  replyTopic,
  type Outcome,
  type Phase,
  type SagaPhase,
  type TwoPhaseDecision,
  type TwoPhasePhase,
} from './wire';
export {
  MAX_SIGNING_SECRET_LENGTH,
  MIN_SIGNING_SECRET_LENGTH,
  SIGNATURE_FAILURES,
  SIGNATURE_VERSION,
  SIGNED_HEADERS,
  signatureOf,
  signingInput,
  signingKeyProblems,
  verifySignature,
  withSignature,
  type SignatureCheck,
  type SignatureFailure,
  type SigningKey,
} from './signing';
export { fixKafkajsIdleTimers } from './kafkajs-idle-timers';
export {
  KAFKA_SASL_MECHANISMS,
  kafkaCredentialsFromEnv,
  type KafkaCredentials,
  type KafkaSasl,
  type KafkaSaslMechanism,
  type KafkaTls,
} from './kafka-credentials';
export { checkKafkaLogin, KafkaAuthenticationError, type KafkaLoginCheck } from './kafka-login';
export { CONSUMER_TIMINGS } from './consumer-timings';
export { OffsetCommits } from './offset-commits';
export {
  formatTraceParent,
  parseTraceParent,
  SPAN_ATTRIBUTES,
  type TraceParent,
} from './trace-context';
