import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Saga instances, per-attempt step executions, history, outbox, inbox and timers. */
export class CreateSagaTables1764000100000 implements MigrationInterface {
  name = 'CreateSagaTables1764000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE skald.saga_instance (
        id uuid PRIMARY KEY,
        type text NOT NULL,
        version integer NOT NULL,
        status text NOT NULL,
        input jsonb NOT NULL,
        data jsonb NOT NULL,
        stage integer NOT NULL,
        steps jsonb NOT NULL,
        error jsonb,
        deadline_at timestamptz,
        idempotency_key text,
        request_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz
      )`);
    await queryRunner.query(
      'CREATE UNIQUE INDEX saga_instance_idempotency_key ON skald.saga_instance (idempotency_key) WHERE idempotency_key IS NOT NULL',
    );
    // GET /v1/sagas: newest first, optionally filtered by type or status, keyset-paged on (created_at, id)
    await queryRunner.query(
      'CREATE INDEX saga_instance_newest ON skald.saga_instance (created_at DESC, id DESC)',
    );
    await queryRunner.query(
      'CREATE INDEX saga_instance_type_newest ON skald.saga_instance (type, created_at DESC, id DESC)',
    );
    await queryRunner.query(
      'CREATE INDEX saga_instance_status_newest ON skald.saga_instance (status, created_at DESC, id DESC)',
    );

    await queryRunner.query(`
      CREATE TABLE skald.step_execution (
        command_id uuid PRIMARY KEY,
        saga_id uuid NOT NULL REFERENCES skald.saga_instance (id) ON DELETE CASCADE,
        step text NOT NULL,
        phase text NOT NULL,
        attempt integer NOT NULL,
        participant text NOT NULL,
        command text NOT NULL,
        request jsonb,
        outcome text,
        reply jsonb,
        sent_at timestamptz NOT NULL DEFAULT now(),
        replied_at timestamptz
      )`);
    await queryRunner.query(
      'CREATE INDEX step_execution_saga ON skald.step_execution (saga_id, sent_at)',
    );

    await queryRunner.query(`
      CREATE TABLE skald.saga_history (
        id bigserial PRIMARY KEY,
        saga_id uuid NOT NULL REFERENCES skald.saga_instance (id) ON DELETE CASCADE,
        type text NOT NULL,
        step text,
        details jsonb,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE INDEX saga_history_saga ON skald.saga_history (saga_id, id)');

    // published rows are deleted: the table only ever holds work outstanding
    await queryRunner.query(`
      CREATE TABLE skald.outbox (
        id bigserial PRIMARY KEY,
        saga_id uuid NOT NULL,
        topic text NOT NULL,
        message_key text NOT NULL,
        headers jsonb NOT NULL,
        payload text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE skald.inbox (
        message_id uuid PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE skald.timer (
        id bigserial PRIMARY KEY,
        saga_id uuid NOT NULL REFERENCES skald.saga_instance (id) ON DELETE CASCADE,
        kind text NOT NULL,
        step text,
        phase text,
        attempt integer,
        due_at timestamptz NOT NULL
      )`);
    await queryRunner.query('CREATE INDEX timer_due ON skald.timer (due_at)');
    await queryRunner.query('CREATE INDEX timer_saga ON skald.timer (saga_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'timer',
      'inbox',
      'outbox',
      'saga_history',
      'step_execution',
      'saga_instance',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS skald.${table}`);
    }
  }
}
