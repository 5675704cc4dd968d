import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface EchoProcess {
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts bench/echo-services.ts as a child process and waits until its consumers have joined. */
export async function startEchoServices(env: {
  prefixes: string[];
  pingPongPrefix?: string;
}): Promise<EchoProcess> {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(__dirname, 'echo-services.ts')],
    {
      env: {
        ...process.env,
        BENCH_PREFIXES: env.prefixes.join(','),
        BENCH_PINGPONG_PREFIX: env.pingPongPrefix ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<boolean>((resolve) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => (line === 'ready' ? resolve(true) : (output += `${line}\n`)));
    void exited.then(() => resolve(false));
  });
  if (!(await ready))
    throw new Error(`the echo services exited before they were ready:\n${output}`);
  return {
    pid: child.pid ?? -1,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
