import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Traces across Kafka (#17): the W3C `traceparent` of each saga's span and of each 2PC
 * transaction's, kept so that every step, retry and compensation, decided by whichever instance
 * and after any crash, joins the saga's one trace. Null: no trace (rows from before, or none
 * was given and tracing is off).
 */
export class AddTraceParent1764500000000 implements MigrationInterface {
  name = 'AddTraceParent1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE skald.saga_instance ADD COLUMN trace_parent text');
    await queryRunner.query('ALTER TABLE skald.two_phase_transaction ADD COLUMN trace_parent text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE skald.two_phase_transaction DROP COLUMN trace_parent');
    await queryRunner.query('ALTER TABLE skald.saga_instance DROP COLUMN trace_parent');
  }
}
