// `npm test`: unit specs, then integration/e2e tests against a real PostgreSQL and Kafka that this
// script starts (or the servers DATABASE_URL / KAFKA_BROKERS name), through node's test runner.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startLocalStack } from '@skald/testing';

const root = join(__dirname, '..');

function findFiles(dir: string, match: (path: string) => boolean): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...findFiles(path, match));
    else if (match(path)) found.push(path);
  }
  return found.sort();
}

function runNodeTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = [
    '-r',
    '@swc-node/register',
    '--test',
    '--test-reporter=spec',
    // a file whose set-up failed half-way must not keep CI waiting on its open connections
    '--test-force-exit',
    // per file: the 2PC crash files kill and restart processes six times each (~2 min quiet)
    `--test-timeout=${process.env.SKALD_TEST_TIMEOUT_MS ?? 300_000}`,
    `--test-concurrency=${process.env.SKALD_TEST_CONCURRENCY ?? 2}`,
    ...files.map((f) => relative(root, f)),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  const unitOnly = process.argv.includes('--unit');
  // examples/*/test: the examples' own tests (their projects live outside the workspaces);
  // bench/: the benchmark's pure parts have specs (it is never a test itself)
  const dirs = ['apps', 'libs', 'scripts', 'examples', 'bench'].map((d) => join(root, d));
  const unit = dirs.flatMap((d) => findFiles(d, (p) => p.endsWith('.spec.ts')));
  const integration = dirs.flatMap((d) =>
    findFiles(d, (p) => p.endsWith('.test.ts') && /[/\\]test[/\\]/.test(p)),
  );

  console.log(`unit: ${unit.length} spec files`);
  const unitCode = await runNodeTests(unit, process.env);
  if (unitOnly || unitCode !== 0) return unitCode;

  const started = Date.now();
  const stack = await startLocalStack({
    log: (line) => console.log(line),
    postgres: { settings: { fsync: 'off' } },
  });
  for (const line of stack.description) console.log(`test stack: ${line}`);
  console.log(`test stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`integration: ${integration.length} test files`);
  try {
    return await runNodeTests(integration, {
      ...process.env,
      DATABASE_URL: stack.databaseUrl,
      KAFKA_BROKERS: stack.kafkaBrokers,
    });
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
