// TLS towards PostgreSQL comes from DATABASE_URL (`sslmode`, `sslrootcert`, ...) and PGSSLMODE, read
// by the pg driver: nothing between the orchestrator's configuration and pg drops them. Shown on a
// cluster with TLS (the certificate of a throwaway CA) and on the test cluster, which has none.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import {
  assertDatabaseReachable,
  DatabaseUnreachableError,
  dataSourceOptions,
} from '@skald/persistence';
import {
  createTestCertificates,
  startLocalPostgres,
  type LocalPostgres,
  type TestCertificates,
} from '@skald/testing';

const withParams = (url: string, params: Record<string, string>): string => {
  const u = new URL(url);
  for (const [name, value] of Object.entries(params)) u.searchParams.set(name, value);
  return u.toString();
};

/** Whether a session of the pool built as the orchestrator builds it (dataSourceOptions) runs over TLS. */
async function poolUsesTls(url: string): Promise<boolean> {
  const dataSource = new DataSource(dataSourceOptions({ url, poolSize: 1 }));
  await dataSource.initialize();
  try {
    const [row] = (await dataSource.query(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    )) as { ssl: boolean }[];
    return row.ssl;
  } finally {
    await dataSource.destroy();
  }
}

describe('PostgreSQL TLS settings pass through from DATABASE_URL and PGSSLMODE', () => {
  let dir: string;
  let certs: TestCertificates;
  let withTls: LocalPostgres;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skald-pg-tls-'));
    certs = createTestCertificates(dir);
    withTls = await startLocalPostgres({ tls: { certificate: certs.certificate, key: certs.key } });
  });
  after(async () => {
    await withTls?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sslmode=verify-full with sslrootcert: the pool and the start-up check connect over TLS', async () => {
    const url = withParams(withTls.url, { sslmode: 'verify-full', sslrootcert: certs.caFile });
    assert.equal(await poolUsesTls(url), true);
    await assertDatabaseReachable(url);
    // the same server without the setting: plain text, so it is the URL that turned TLS on
    assert.equal(await poolUsesTls(withTls.url), false);
  });

  it('verify-full without the CA is refused: the server’s certificate is checked', async () => {
    await assert.rejects(
      assertDatabaseReachable(withParams(withTls.url, { sslmode: 'verify-full' })),
      (error: Error) =>
        error instanceof DatabaseUnreachableError &&
        /certificate/.test(error.message) &&
        error.message.includes('(from DATABASE_URL)'),
    );
  });

  it('sslmode=require, or PGSSLMODE=require, against a server without TLS fails saying so', async () => {
    const plain = process.env.DATABASE_URL!;
    await assert.rejects(
      assertDatabaseReachable(withParams(plain, { sslmode: 'require', uselibpqcompat: 'true' })),
      /Cannot reach PostgreSQL at .*: The server does not support SSL connections/,
    );
    process.env.PGSSLMODE = 'require';
    try {
      await assert.rejects(poolUsesTls(plain), /The server does not support SSL connections/);
    } finally {
      delete process.env.PGSSLMODE;
    }
    assert.equal(await poolUsesTls(plain), false, 'and without it, the same server answers');
  });
});
