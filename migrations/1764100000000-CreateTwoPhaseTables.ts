import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The 2PC coordinator's log: one row per transaction (status, votes, the decision once taken, and
 * its timer `due_at`) and one row per message sent, to correlate replies. Messages themselves go
 * through skald.outbox like the saga engine's.
 */
export class CreateTwoPhaseTables1764100000000 implements MigrationInterface {
  name = 'CreateTwoPhaseTables1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE skald.two_phase_transaction (
        id uuid PRIMARY KEY,
        status text NOT NULL,
        participants jsonb NOT NULL,
        decision text CHECK (decision IN ('commit', 'abort')),
        reason jsonb,
        timeout_ms integer NOT NULL,
        prepare_deadline_at timestamptz NOT NULL,
        round integer NOT NULL,
        due_at timestamptz,
        idempotency_key text,
        request_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz,
        ended_at timestamptz
      )`);
    await queryRunner.query(
      'CREATE UNIQUE INDEX two_phase_transaction_idempotency_key ON skald.two_phase_transaction (idempotency_key) WHERE idempotency_key IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE INDEX two_phase_transaction_due ON skald.two_phase_transaction (due_at) WHERE due_at IS NOT NULL',
    );
    await queryRunner.query(`
      CREATE TABLE skald.two_phase_command (
        command_id uuid PRIMARY KEY,
        transaction_id uuid NOT NULL REFERENCES skald.two_phase_transaction (id) ON DELETE CASCADE,
        participant_index integer NOT NULL,
        participant text NOT NULL,
        phase text NOT NULL,
        attempt integer NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT now(),
        outcome text,
        replied_at timestamptz
      )`);
    await queryRunner.query(
      'CREATE INDEX two_phase_command_transaction ON skald.two_phase_command (transaction_id)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS skald.two_phase_command');
    await queryRunner.query('DROP TABLE IF EXISTS skald.two_phase_transaction');
  }
}
