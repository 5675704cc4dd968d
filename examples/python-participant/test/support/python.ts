// The Python toolchain for the test: found (or the reason the test is skipped), a virtual
// environment with requirements.txt installed (cached by its content), and the participant process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, runToEnd } from '@skald/testing';

export const EXAMPLE_DIR = join(__dirname, '..', '..');
/** psycopg 3.3 needs Python 3.10. */
const MIN_PYTHON = [3, 10] as const;
const PYTHON = process.env.SKALD_PYTHON ?? 'python3';

/** Why the Python test cannot run on this machine, or undefined when it can. */
export function missingPython(): string | undefined {
  const probe = spawnSync(
    PYTHON,
    ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'],
    { encoding: 'utf8' },
  );
  if (probe.error)
    return `${PYTHON} not found (${probe.error.message}): install Python ≥ ${MIN_PYTHON.join('.')}`;
  if (probe.status !== 0)
    return `${PYTHON} has no venv/ensurepip (e.g. apt-get install python3-venv): ${probe.stderr.trim()}`;
  const [major, minor] = probe.stdout.trim().split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]))
    return `${PYTHON} is ${probe.stdout.trim()}, the example needs ≥ ${MIN_PYTHON.join('.')}`;
  return undefined;
}

const run = (command: string, args: string[]) => runToEnd(command, args, { cwd: EXAMPLE_DIR });

/** The venv's python, with requirements.txt installed; reused while requirements.txt is unchanged. */
export async function pythonWithRequirements(): Promise<string> {
  const requirements = join(EXAMPLE_DIR, 'requirements.txt');
  const version = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const hash = createHash('sha256')
    .update(version)
    .update(readFileSync(requirements))
    .digest('hex')
    .slice(0, 12);
  const venv = join(cacheDir(), `python-participant-${hash}`);
  const python = join(venv, 'bin', 'python');
  const installed = join(venv, '.installed');
  if (!existsSync(installed)) {
    await run(PYTHON, ['-m', 'venv', '--clear', venv]);
    await run(python, [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '-r',
      requirements,
    ]);
    writeFileSync(installed, `${new Date().toISOString()}\n`);
  }
  return python;
}

/** `python -m unittest` of the example's own unit checks; resolves with their output. */
export function runUnitChecks(python: string): Promise<string> {
  return run(python, ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.']);
}

export interface PythonParticipant {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `hotels.py` and resolves once it consumes its command topic. */
export function startHotels(python: string, env: NodeJS.ProcessEnv): Promise<PythonParticipant> {
  const child = spawn(python, ['hotels.py'], {
    cwd: EXAMPLE_DIR,
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...env },
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const participant: PythonParticipant = {
    child,
    output: () => output,
    // SIGTERM lets it close its consumer; SIGKILL if it has not ended within 5 s
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(kill);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`hotels.py was not consuming after 60 s:\n${output}`)),
      60_000,
    );
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('hotels: consuming')) {
        clearTimeout(timer);
        resolve(participant);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`hotels.py exited (${signal ?? code}) before it consumed:\n${output}`));
    });
  });
}
