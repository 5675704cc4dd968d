import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findFreePort } from './free-port';
import { repoRoot } from './paths';

export interface OrchestratorProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited(): Promise<number | NodeJS.Signals>;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals>;
}

/** The stock orchestrator, and the one with the crash device installed (crash tests). */
const STOCK_ENTRY = 'apps/orchestrator/src/main.ts';
const CRASH_POINTS_ENTRY = 'apps/orchestrator/test/support/main-with-crash-points.ts';

/**
 * Runs the orchestrator from source as a real child process (so tests can SIGKILL it) with the
 * given environment on a free port; when `env` arms a crash point (SKALD_CRASH_AT), with the crash
 * device installed. Does not wait for readiness: see `waitForHttp`.
 */
export async function spawnOrchestrator(env: NodeJS.ProcessEnv): Promise<OrchestratorProcess> {
  const port = env.PORT ? Number(env.PORT) : await findFreePort();
  const child = spawn(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      join(repoRoot, env.SKALD_CRASH_AT ? CRASH_POINTS_ENTRY : STOCK_ENTRY),
    ],
    { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port) } },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 1)),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    exited: () => exit,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}

/** Polls `url` until it answers with `status` (or until the process exits / the time is up). */
export async function waitForHttp(
  url: string,
  options: { status?: number; timeoutMs?: number; process?: OrchestratorProcess } = {},
): Promise<Response> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last = 'no answer';
  while (Date.now() < deadline) {
    const child = options.process?.child;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`the process exited before ${url} answered:\n${options.process!.output()}`);
    }
    try {
      const res = await fetch(url);
      if (res.status === (options.status ?? 200)) return res;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer ${options.status ?? 200} in time (last: ${last})`);
}
