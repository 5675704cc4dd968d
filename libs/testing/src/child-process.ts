import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './paths';

export interface TestProcess {
  readonly child: ChildProcess;
  /** Resolves once the process printed `readyText`; rejects if it exits first. */
  readonly ready: Promise<void>;
  /** Resolves with the signal name (e.g. 'SIGKILL') or exit code once it ended. */
  readonly exit: Promise<NodeJS.Signals | number>;
  output(): string;
  /** Sends `signal` (default SIGTERM) unless it already ended, and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<NodeJS.Signals | number>;
}

/** Runs a TypeScript entry point as a real child process (so a test can SIGKILL it). */
export function startTestProcess(
  entry: string,
  env: NodeJS.ProcessEnv,
  readyText: string,
): TestProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', entry], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyText)) resolve();
    });
    child.once('exit', () => reject(new Error(`${entry} exited before it was ready: ${output}`)));
  });
  ready.catch(() => undefined);
  const exit = new Promise<NodeJS.Signals | number>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  );
  return {
    child,
    ready,
    exit,
    output: () => output,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}

/**
 * Runs a command to its end and resolves with its output (stdout and stderr); rejects with that
 * output if it exits with anything but 0, or cannot start.
 */
export function runToEnd(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}
