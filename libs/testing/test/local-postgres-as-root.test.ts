// As root, PostgreSQL runs as the `postgres` user. From a checkout that user cannot enter (a clone
// in /root, mode 700) it could not run the binaries in node_modules: `npm start` and `npm test`
// crashed with an unhandled `spawn …/initdb EACCES` and left a password file in the temp dir.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, startTestProcess } from '@skald/testing';

const CHECK = `
import { Client } from 'pg';
import { startLocalPostgres } from './libs/testing/src/local-postgres';

void (async () => {
  const postgres = await startLocalPostgres();
  const client = new Client(postgres.url);
  await client.connect();
  const { rows } = await client.query<{ who: string }>('SELECT current_user AS who');
  await client.end();
  await postgres.stop();
  console.log(\`answered as \${rows[0].who}\`);
})();
`;

describe('the local PostgreSQL as root, from a checkout other users cannot enter', () => {
  const asRoot = process.getuid?.() === 0;

  it(
    'starts, answers a query and stops, leaving no password file behind',
    { skip: asRoot ? false : 'only as root: then PostgreSQL runs as the postgres user' },
    async () => {
      const checkout = mkdtempSync(join(tmpdir(), 'skald-private-checkout-'));
      const temp = mkdtempSync(join(tmpdir(), 'skald-temp-'));
      try {
        chmodSync(checkout, 0o700);
        chmodSync(temp, 0o755); // a temp dir as /tmp is: every user may enter it
        // hard links cost no space; what matters is that every path goes through the mode-700 dir
        const linked = spawnSync('cp', ['-al', join(repoRoot, 'node_modules'), checkout]);
        assert.equal(linked.status, 0, `cp -al node_modules: ${String(linked.stderr)}`);
        cpSync(join(repoRoot, 'libs/testing/src'), join(checkout, 'libs/testing/src'), {
          recursive: true,
        });
        writeFileSync(join(checkout, 'check.ts'), CHECK);

        const check = startTestProcess(join(checkout, 'check.ts'), { TMPDIR: temp }, 'answered');
        const exit = await check.exit;
        assert.equal(exit, 0, `the check exited with ${exit}:\n${check.output()}`);
        assert.match(check.output(), /answered as postgres/);
        assert.deepEqual(
          readdirSync(temp).filter((name) => /pass|pw/i.test(name)),
          [],
          'no password file in the temp dir',
        );
        assert.deepEqual(
          readdirSync(join(temp, 'skald')).filter((name) => !name.startsWith('postgres-')),
          [],
          'only the copy of the binaries is kept',
        );
      } finally {
        rmSync(checkout, { recursive: true, force: true });
        rmSync(temp, { recursive: true, force: true });
      }
    },
  );
});
