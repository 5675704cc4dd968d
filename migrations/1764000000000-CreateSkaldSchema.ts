import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every orchestrator table lives in the `skald` schema, so Skald can share a database with its host app. */
export class CreateSkaldSchema1764000000000 implements MigrationInterface {
  name = 'CreateSkaldSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE SCHEMA IF NOT EXISTS skald');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP SCHEMA IF EXISTS skald CASCADE');
  }
}
