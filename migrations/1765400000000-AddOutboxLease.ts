import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The handoff's lease on an outbox row: the engine transaction that queued the command leases
 * it, and once committed sends it itself; relays skip a leased row until the lease runs out (the
 * process that held it died), and count it against its participant's bulkhead meanwhile
 * (docs/adr/013-command-handoff.md).
 */
export class AddOutboxLease1765400000000 implements MigrationInterface {
  name = 'AddOutboxLease1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // leased_by: the process (as its notifications name it), so a relay waits only for others' leases
    await queryRunner.query(
      'ALTER TABLE skald.outbox ADD COLUMN leased_until timestamptz, ADD COLUMN leased_by text',
    );
    // a claim asks for the earliest lease, to come back for rows a dead process leased
    await queryRunner.query(
      'CREATE INDEX outbox_leased ON skald.outbox (leased_until) WHERE leased_until IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS skald.outbox_leased');
    await queryRunner.query(
      'ALTER TABLE skald.outbox DROP COLUMN leased_until, DROP COLUMN leased_by',
    );
  }
}
