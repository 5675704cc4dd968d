import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The deploy-time definition check and retention (#18):
 * - `definition_hash`: the hash of the shape of the definition a saga started on (its stages and
 *   steps), so a version whose steps changed without a version bump is found. Null for sagas
 *   started before this migration: they are not checked for it.
 * - partial indexes on `ended_at` of finished sagas and 2PC transactions, for retention's
 *   batched deletes (oldest first, never a sequential scan of history). The check reads the
 *   unfinished sagas through saga_instance_status_newest: no index added to the hot path for it.
 */
export class AddDefinitionChecksAndRetention1765100000000 implements MigrationInterface {
  name = 'AddDefinitionChecksAndRetention1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE skald.saga_instance ADD COLUMN definition_hash text');
    await queryRunner.query(
      `CREATE INDEX saga_instance_finished_ended ON skald.saga_instance (ended_at)
         WHERE status IN ('completed', 'compensated')`,
    );
    await queryRunner.query(
      `CREATE INDEX two_phase_transaction_finished_ended ON skald.two_phase_transaction (ended_at)
         WHERE status IN ('committed', 'aborted')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS skald.two_phase_transaction_finished_ended');
    await queryRunner.query('DROP INDEX IF EXISTS skald.saga_instance_finished_ended');
    await queryRunner.query('ALTER TABLE skald.saga_instance DROP COLUMN definition_hash');
  }
}
