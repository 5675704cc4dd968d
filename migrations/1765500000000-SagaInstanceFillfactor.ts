import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on each page of saga_instance for the new version of a row: a saga's row is updated once per
 * reply, and an update that changes no indexed column can then stay on its page (a HOT update)
 * instead of writing an entry into each of the table's seven indexes. New pages only: existing
 * rows stay where they are.
 */
export class SagaInstanceFillfactor1765500000000 implements MigrationInterface {
  name = 'SagaInstanceFillfactor1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE skald.saga_instance SET (fillfactor = 70)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE skald.saga_instance RESET (fillfactor)');
  }
}
