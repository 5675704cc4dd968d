// The runner ↔ child handshake for systems measured in a process of their own (the floor, DBOS):
// the child sets up, prints "ready", waits for "go" on stdin (so the runner's counters start
// after the set-up), runs the sweep — pausing at a checkpoint before and after each level so the
// runner reads its counters per level — and prints one "result <json>" line with its CPU time.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sweep, type RunOne, type SweepResult } from './load';

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

/** Sent by the child before and after each closed-loop level; the runner answers when it has read its counters. */
export interface Checkpoint {
  phase: 'start' | 'end';
  concurrency: number;
  /** Workflows ended so far, and the child's CPU ms so far (both since "go"). */
  ended: number;
  cpuMs: number;
}

const SETTINGS_ENV = 'BENCH_CHILD_SETTINGS';

/**
 * Child side: settings in, set up, "ready" out, wait for "go", then the same sweep as every system
 * (bench/load.ts) with a checkpoint around each level, and one "result" line.
 */
export async function childMain(
  name: string,
  setUp: (settings: ChildSettings) => Promise<{
    run: RunOne;
    /** Workflows ended so far. */
    ended: () => number;
    tearDown: () => Promise<void>;
  }>,
): Promise<void> {
  const settings = JSON.parse(process.env[SETTINGS_ENV]!) as ChildSettings;
  const system = await setUp(settings);
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const answer = async () => void (await lines.next());
  console.log('ready');
  await answer();
  const cpuBefore = process.cpuUsage();
  const cpuMs = () => {
    const cpu = process.cpuUsage(cpuBefore);
    return (cpu.user + cpu.system) / 1000;
  };
  const checkpoint = async (phase: Checkpoint['phase'], concurrency: number) => {
    const point: Checkpoint = { phase, concurrency, ended: system.ended(), cpuMs: cpuMs() };
    console.log(`checkpoint ${JSON.stringify(point)}`);
    await answer();
  };
  const result = await sweep(system.run, {
    ...settings,
    beforeLevel: (c) => checkpoint('start', c),
    afterLevel: async (level) => {
      await checkpoint('end', level.concurrency!);
      console.log(`${name} c=${level.concurrency}: ${level.perSec}/s`);
    },
  });
  const ended = system.ended();
  console.log(`result ${JSON.stringify({ ...result, ended, cpuMs: cpuMs() })}`);
  await system.tearDown();
  process.exit(0);
}

/**
 * Runner side: starts `file` (in bench/); once it is ready, calls `around.before` and lets it run,
 * calling `around.checkpoint` at each of its checkpoints.
 */
export async function runChild(
  file: string,
  settings: ChildSettings,
  around: {
    before: () => Promise<void>;
    checkpoint: (point: Checkpoint) => Promise<void>;
    log: (line: string) => void;
  },
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
    } else if (line.startsWith('checkpoint ')) {
      await around.checkpoint(JSON.parse(line.slice('checkpoint '.length)) as Checkpoint);
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
