// The runner ↔ child handshake for systems measured in a process of their own (the floor, DBOS):
// the child sets up, prints "ready", waits for "go" on stdin (so the runner's counters start
// after the set-up), runs the sweep and prints one "result <json>" line, with its own CPU time.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SweepResult } from './load';

export interface ChildSettings {
  databaseUrl: string;
  kafkaBrokers: string[];
  topicPrefix: string;
  poolSize: number;
  concurrency: number[];
  durationMs: number;
  openDurationMs: number;
  openFraction: number;
}

export interface ChildResult extends SweepResult {
  /** Workflows that ended during the whole run (divisor of the per-saga counters). */
  ended: number;
  cpuMs: number;
}

const SETTINGS_ENV = 'BENCH_CHILD_SETTINGS';

/** Child side: settings in, "ready" out, wait for "go", run, result out. */
export async function childMain(
  setUp: (settings: ChildSettings) => Promise<{
    measure: () => Promise<SweepResult & { ended: number }>;
    tearDown: () => Promise<void>;
  }>,
): Promise<void> {
  const settings = JSON.parse(process.env[SETTINGS_ENV]!) as ChildSettings;
  const system = await setUp(settings);
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  console.log('ready');
  await go;
  const cpuBefore = process.cpuUsage();
  const result = await system.measure();
  const cpu = process.cpuUsage(cpuBefore);
  console.log(`result ${JSON.stringify({ ...result, cpuMs: (cpu.user + cpu.system) / 1000 })}`);
  lines.close();
  await system.tearDown();
  process.exit(0);
}

/** Runner side: starts `file` (in bench/); once it is ready, calls `around.before` and lets it run. */
export async function runChild(
  file: string,
  settings: ChildSettings,
  around: { before: () => Promise<void>; log: (line: string) => void },
): Promise<ChildResult> {
  const child = spawn(
    process.execPath,
    ['--no-deprecation', '-r', '@swc-node/register', join(__dirname, file)],
    {
      env: { ...process.env, [SETTINGS_ENV]: JSON.stringify(settings) },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr += `${line}\n`;
    around.log(`${file}: ${line}`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let result: ChildResult | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'ready') {
      await around.before();
      child.stdin.write('go\n');
    } else if (line.startsWith('result ')) {
      result = JSON.parse(line.slice('result '.length)) as ChildResult;
    } else {
      around.log(line);
    }
  }
  const code = await exited;
  if (!result) throw new Error(`${file} exited with ${code} before its result:\n${stderr}`);
  return result;
}
