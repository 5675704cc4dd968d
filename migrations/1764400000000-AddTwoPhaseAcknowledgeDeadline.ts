import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 2PC transactions end even when a participant never acknowledges the decision (#12): the
 * deadline after which the coordinator stops re-sending it (status `unacknowledged`), the count of
 * re-sends its backoff grows with, and an operator's resolution. Rows decided before this
 * migration get their deadline from the first timer after it. Plus the indexes of
 * GET /v1/transactions (newest first, optionally by status).
 */
export class AddTwoPhaseAcknowledgeDeadline1764400000000 implements MigrationInterface {
  name = 'AddTwoPhaseAcknowledgeDeadline1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE skald.two_phase_transaction
        ADD COLUMN acknowledge_deadline_at timestamptz,
        ADD COLUMN resends integer NOT NULL DEFAULT 0,
        ADD COLUMN resolution jsonb`);
    await queryRunner.query(
      'CREATE INDEX two_phase_transaction_newest ON skald.two_phase_transaction (created_at DESC, id DESC)',
    );
    await queryRunner.query(
      'CREATE INDEX two_phase_transaction_status_newest ON skald.two_phase_transaction (status, created_at DESC, id DESC)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS skald.two_phase_transaction_status_newest');
    await queryRunner.query('DROP INDEX IF EXISTS skald.two_phase_transaction_newest');
    await queryRunner.query(`
      ALTER TABLE skald.two_phase_transaction
        DROP COLUMN resolution, DROP COLUMN resends, DROP COLUMN acknowledge_deadline_at`);
  }
}
