import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bulk actions by filter (#18): a job, and one item per saga its filter matched when it was
 * created (the snapshot it works through). An item's `outcome` is null until the job acted on its
 * saga; it is set in the same transaction as the action (or, when the action was refused, once),
 * so a restart never acts twice. No foreign key to the saga: retention may delete finished sagas.
 */
export class CreateBulkJobs1765200000000 implements MigrationInterface {
  name = 'CreateBulkJobs1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE skald.bulk_job (
         id uuid PRIMARY KEY,
         action text NOT NULL,
         status text NOT NULL,
         filter jsonb NOT NULL,
         reason text,
         actor text,
         total int NOT NULL,
         created_at timestamptz NOT NULL,
         ended_at timestamptz
       )`,
    );
    await queryRunner.query(
      'CREATE INDEX bulk_job_newest ON skald.bulk_job (created_at DESC, id DESC)',
    );
    await queryRunner.query(
      `CREATE INDEX bulk_job_running ON skald.bulk_job (created_at) WHERE status = 'running'`,
    );
    await queryRunner.query(
      `CREATE TABLE skald.bulk_job_item (
         job_id uuid NOT NULL REFERENCES skald.bulk_job (id) ON DELETE CASCADE,
         saga_id uuid NOT NULL,
         ord int NOT NULL,
         outcome text,
         error jsonb,
         ended_at timestamptz,
         PRIMARY KEY (job_id, saga_id)
       )`,
    );
    await queryRunner.query(
      'CREATE INDEX bulk_job_item_pending ON skald.bulk_job_item (job_id, ord) WHERE outcome IS NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS skald.bulk_job_item');
    await queryRunner.query('DROP TABLE IF EXISTS skald.bulk_job');
  }
}
