import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why a saga that is not finished does not move on by itself, when that needs an operator (#18):
 * `paused` (its retries were exhausted under `onExhausted: 'pause'`, or an operator paused it) or
 * `definition-missing` (its type and version are no longer registered). Null while it runs
 * normally. The partial index serves GET /v1/sagas?waitReason=… without growing with history.
 */
export class AddSagaWaitReason1765000000000 implements MigrationInterface {
  name = 'AddSagaWaitReason1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE skald.saga_instance ADD COLUMN wait_reason text');
    await queryRunner.query(
      `CREATE INDEX saga_instance_wait_reason_newest ON skald.saga_instance
         (wait_reason, created_at DESC, id DESC) WHERE wait_reason IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS skald.saga_instance_wait_reason_newest');
    await queryRunner.query('ALTER TABLE skald.saga_instance DROP COLUMN wait_reason');
  }
}
