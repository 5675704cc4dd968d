/**
 * The Skald participant SDK: consume commands from the orchestrator over Kafka, run your handler,
 * reply. With your PostgreSQL given, every command runs effectively once and fenced; without it,
 * at-least-once. No NestJS needed.
 *
 * @example
 * import { Pool } from 'pg';
 * import { BusinessRefusal, createParticipant } from '@skald/participant';
 *
 * const payments = createParticipant({
 *   name: 'payments',
 *   kafka: { brokers: ['localhost:9092'] },
 *   database: new Pool({ connectionString: process.env.DATABASE_URL }),
 *   createTables: true,
 * }).on('charge', async (req: { amount: number }, { tx }) => {
 *   if (req.amount > 5_000) throw new BusinessRefusal('CARD_DECLINED', 'amount over the card limit');
 *   await tx!.query('INSERT INTO charges (amount) VALUES ($1)', [req.amount]);
 *   return { charged: req.amount };
 * });
 * await payments.start();
 */
export type {
  DataSourceLike,
  ParticipantDatabase,
  PgPoolLike,
  TransactionClient,
} from './database';
export { BusinessRefusal, PARTICIPANT_ERROR_CODES, ParticipantConfigError } from './errors';
export { KafkaAuthenticationError, kafkaCredentialsFromEnv } from '@skald/protocol';
export type {
  ParticipantFaultPoint,
  ParticipantFaultPoints,
  ParticipantFaults,
} from './fault-points';
export type {
  CommandContext,
  CommandHandler,
  ParticipantHealth,
  ParticipantKafkaOptions,
  ParticipantOptions,
  SigningOptions,
  TwoPhaseOptions,
} from './options';
export type { SigningKey } from '@skald/protocol';
export { createParticipant, Participant } from './participant';
export type { LogMethod, ParticipantLogger } from './observability';
export { type InDoubtTransaction } from './in-doubt';
export type { PruningOptions } from './pruning';
export { PARTICIPANT_SCHEMA_SQL } from './schema';
export { ensureTopics } from './topics';
