// SagaQueries.overviewCounts against the embedded PostgreSQL: a small table is counted exactly;
// on a large analyzed one the statuses that only grow are the planner's estimate and the others
// are still counted exactly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { dataSourceOptions, SagaQueries } from '@skald/persistence';
import { cloneMigratedDatabase, type TestDatabase } from '@skald/testing';

const STATUSES = ['running', 'paused', 'compensating', 'completed', 'compensated', 'failed'];
const ESTIMATE = ['completed', 'compensated'];

describe('overview counts (real PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let queries: SagaQueries;

  before(async () => {
    db = await cloneMigratedDatabase();
    dataSource = await new DataSource(dataSourceOptions({ url: db.url, poolSize: 2 })).initialize();
    queries = new SagaQueries(dataSource);
  });
  after(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  /** `n` sagas: per 100, 90 completed, 6 compensated, 2 running, 1 failed, 1 paused; two types. */
  const insert = (n: number) =>
    dataSource.query(
      `INSERT INTO skald.saga_instance (id, type, version, status, input, data, stage, steps)
       SELECT gen_random_uuid(), CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END, 1,
         CASE WHEN i % 100 < 90 THEN 'completed' WHEN i % 100 < 96 THEN 'compensated'
              WHEN i % 100 < 98 THEN 'running' WHEN i % 100 < 99 THEN 'failed' ELSE 'paused' END,
         '{}', '{}', 0, '{}'
       FROM generate_series(0, $1 - 1) i`,
      [n],
    );
  const counts = (exactBelow: number) =>
    queries.overviewCounts({ statuses: STATUSES, estimate: ESTIMATE, exactBelow });
  const total = (rows: { status: string; count: number }[], status: string) =>
    rows.filter((r) => r.status === status).reduce((sum, r) => sum + r.count, 0);

  it('counts a table never analyzed exactly, by status and type', async () => {
    await insert(200);
    const { exact, estimated } = await counts(10_000);
    assert.deepEqual(estimated, []);
    assert.equal(total(exact, 'completed'), 180);
    // i % 100 = 98 is failed, 99 paused: even and odd types
    assert.deepEqual(
      exact.filter((r) => r.status === 'failed' || r.status === 'paused'),
      [
        { status: 'failed', type: 'even', count: 2 },
        { status: 'paused', type: 'odd', count: 2 },
      ],
    );
  });

  it('estimates completed and compensated on a large analyzed table, and counts the rest', async () => {
    await insert(19_800); // 20,000 in all
    await dataSource.query('ANALYZE skald.saga_instance');
    const { exact, estimated } = await counts(10_000);
    assert.deepEqual(
      estimated.map((e) => e.status),
      ESTIMATE,
    );
    const completed = estimated.find((e) => e.status === 'completed')!.count;
    assert.ok(Math.abs(completed - 18_000) < 1_000, `completed ≈ 18,000, estimated ${completed}`);
    assert.equal(total(exact, 'completed'), 0, 'completed is not counted row by row');
    assert.equal(total(exact, 'running'), 400);
    assert.equal(total(exact, 'failed'), 200);
    assert.equal(total(exact, 'paused'), 200);
    // the same table below the threshold's size: every status counted
    assert.deepEqual((await counts(1_000_000)).estimated, []);
  });
});
