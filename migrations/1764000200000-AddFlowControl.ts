import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-participant flow control: circuit breaker and retry budget (skald.participant), commands in
 * flight (dispatched, not yet answered or timed out) for the bulkhead, step timeouts armed when a
 * command is actually sent, and leases with fencing tokens for singleton jobs.
 */
export class AddFlowControl1764000200000 implements MigrationInterface {
  name = 'AddFlowControl1764000200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE skald.participant (
        name text PRIMARY KEY,
        breaker_state text NOT NULL DEFAULT 'closed',
        consecutive_failures integer NOT NULL DEFAULT 0,
        opened_at timestamptz,
        retry_tokens double precision,
        tokens_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // rows without a participant (written before this migration) are published ungated
    await queryRunner.query(`
      ALTER TABLE skald.outbox
        ADD COLUMN participant text,
        ADD COLUMN command_id uuid,
        ADD COLUMN attempt integer`);
    await queryRunner.query('CREATE INDEX outbox_participant ON skald.outbox (participant, id)');

    await queryRunner.query(`
      ALTER TABLE skald.step_execution
        ADD COLUMN dispatched_at timestamptz,
        ADD COLUMN released_at timestamptz`);
    // the bulkhead counts these: sent to the participant, neither answered nor timed out
    await queryRunner.query(
      `CREATE INDEX step_execution_in_flight ON skald.step_execution (participant)
       WHERE dispatched_at IS NOT NULL AND released_at IS NULL`,
    );

    // a step timeout waits unarmed (due_at NULL) until the relay sends its command
    await queryRunner.query(`
      ALTER TABLE skald.timer
        ADD COLUMN command_id uuid,
        ADD COLUMN delay_ms integer,
        ALTER COLUMN due_at DROP NOT NULL`);
    await queryRunner.query(
      'CREATE INDEX timer_command ON skald.timer (command_id) WHERE command_id IS NOT NULL',
    );

    await queryRunner.query(`
      CREATE TABLE skald.lease (
        name text PRIMARY KEY,
        holder text NOT NULL,
        token bigint NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS skald.lease');
    await queryRunner.query('DROP INDEX IF EXISTS skald.timer_command');
    await queryRunner.query('DELETE FROM skald.timer WHERE due_at IS NULL');
    await queryRunner.query(
      'ALTER TABLE skald.timer DROP COLUMN command_id, DROP COLUMN delay_ms, ALTER COLUMN due_at SET NOT NULL',
    );
    await queryRunner.query('DROP INDEX IF EXISTS skald.step_execution_in_flight');
    await queryRunner.query(
      'ALTER TABLE skald.step_execution DROP COLUMN dispatched_at, DROP COLUMN released_at',
    );
    await queryRunner.query('DROP INDEX IF EXISTS skald.outbox_participant');
    await queryRunner.query(
      'ALTER TABLE skald.outbox DROP COLUMN participant, DROP COLUMN command_id, DROP COLUMN attempt',
    );
    await queryRunner.query('DROP TABLE IF EXISTS skald.participant');
  }
}
