import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { runMigrations } from '@skald/persistence';
import { createTestDatabase, type TestDatabase } from '@skald/testing';

describe('migrations against the embedded PostgreSQL', () => {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db.drop();
  });

  async function query<T extends object>(sql: string): Promise<T[]> {
    const client = new Client(db.url);
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  it('applies every migration to an empty database, recording each one', async () => {
    // two orchestrators starting at once: the advisory lock makes one wait for the other
    const [first, second] = await Promise.all([
      runMigrations({ url: db.url }),
      runMigrations({ url: db.url }),
    ]);
    const applied = [...first, ...second];
    assert.ok(applied.includes('CreateSkaldSchema1764000000000'), `applied: ${applied.join(', ')}`);
    assert.equal(new Set(applied).size, applied.length, 'no migration ran twice');

    const recorded = await query<{ name: string }>('SELECT name FROM skald_migrations ORDER BY id');
    assert.deepEqual(recorded.map((r) => r.name).sort(), [...applied].sort());
    const schemas = await query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = 'skald'",
    );
    assert.equal(schemas[0].n, 1);
  });

  it('finds nothing to do on a migrated database', async () => {
    assert.deepEqual(await runMigrations({ url: db.url }), []);
  });
});
