import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Flow control per participant: a rate limit on every command sent (first attempts too), kept as
 * a token bucket beside the retry budget, and a breaker an operator opened or closed by hand,
 * with the reason, the actor and the time (docs/adr/010-flow-control.md). The limits themselves
 * are configuration (SKALD_PARTICIPANT_LIMITS), not rows.
 */
export class AddParticipantLimits1765300000000 implements MigrationInterface {
  name = 'AddParticipantLimits1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE skald.participant
        ADD COLUMN rate_tokens double precision,
        ADD COLUMN rate_tokens_at timestamptz,
        ADD COLUMN manual_state text,
        ADD COLUMN manual_reason text,
        ADD COLUMN manual_actor text,
        ADD COLUMN manual_at timestamptz,
        ADD CONSTRAINT participant_manual_state CHECK (manual_state IN ('open', 'closed'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE skald.participant
        DROP CONSTRAINT participant_manual_state,
        DROP COLUMN rate_tokens, DROP COLUMN rate_tokens_at, DROP COLUMN manual_state,
        DROP COLUMN manual_reason, DROP COLUMN manual_actor, DROP COLUMN manual_at`);
  }
}
