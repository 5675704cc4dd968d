import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The circuit breaker counts distinct failing operations (saga id, step, phase) instead of
 * failures: each participant keeps the operations that failed since its last healthy outcome, at
 * most SKALD_BREAKER_FAILURES of them, so retries of one bad operation count once.
 */
export class AddBreakerFailingOperations1764300000000 implements MigrationInterface {
  name = 'AddBreakerFailingOperations1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "ALTER TABLE skald.participant ADD COLUMN failing_operations text[] NOT NULL DEFAULT '{}'",
    );
    // the old counts are of failures, not of operations: a closed breaker counts afresh
    await queryRunner.query(
      "UPDATE skald.participant SET consecutive_failures = 0 WHERE breaker_state = 'closed'",
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE skald.participant DROP COLUMN failing_operations');
  }
}
