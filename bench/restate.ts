// Baseline (e): Restate, the same three-step workflow on a single-node restate-server (its default
// durability: RocksDB WAL fsync on, replication 1 as a single node has it) with the TypeScript SDK,
// in both shapes of bench/restate-shapes.ts, driven through its ingress HTTP API by this process
// (as Skald is). The server's data directory is a temp dir, removed when it stops.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, startTestProcess, waitForHttp } from '@skald/testing';
import { cpuPerSaga, processCpuMs, readCpu, type CpuPerSaga, type CpuSources } from './counters';
import { sweep, type LoadResult, type RunOne, type SweepResult } from './load';
import {
  RESTATE_HANDLER,
  RESTATE_SHAPES,
  restateService,
  type RestateShape,
} from './restate-shapes';

export type RestateRun = SweepResult & {
  /** CPU ms per saga by process, per closed-loop level, and at the level counters are compared at. */
  perLevel: Record<number, CpuPerSaga>;
  perSaga: CpuPerSaga;
};
export type RestatePass = Record<RestateShape, RestateRun>;

/** What the run records about the Restate it measured. */
export function restateDescription(): string {
  const version = (name: string) =>
    (
      JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
        version: string;
      }
    ).version;
  return `restate-server ${version('@restatedev/restate-server')} single node with its default durability (RocksDB WAL fsync on, replication 1), @restatedev/restate-sdk ${version('@restatedev/restate-sdk')} over HTTP/2; shapes: calls (3 calls to separate no-op services), runs (3 ctx.run)`;
}

/** The shape with the higher saturation in one pass, and that saturation. */
export function betterShape(pass: RestatePass): { shape: RestateShape; perSec: number } {
  const [shape] = [...RESTATE_SHAPES].sort((a, b) => pass[b].best.perSec - pass[a].best.perSec);
  return { shape, perSec: pass[shape].best.perSec };
}

interface RunningRestate {
  ingressUrl: string;
  cpu: CpuSources;
  stop(): Promise<void>;
}

/** Starts restate-server and the service process, registers the services; `stop` ends both. */
async function startRestate(log: (line: string) => void): Promise<RunningRestate> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skald-bench-restate-'));
  const [ingressPort, adminPort, fabricPort] = [
    await findFreePort(),
    await findFreePort(),
    await findFreePort(),
  ];
  const binary = require.resolve(
    `@restatedev/restate-server-${platform()}-${arch()}/bin/restate-server`,
  );
  const server = spawn(binary, ['--no-logo', '--base-dir', dataDir, '--node-name', 'bench'], {
    env: {
      ...process.env,
      RESTATE_LISTEN_MODE: 'tcp',
      RESTATE_BIND_ADDRESS: `127.0.0.1:${fabricPort}`,
      RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingressPort}`,
      RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${adminPort}`,
      RESTATE_DISABLE_TELEMETRY: 'true',
      RESTATE_LOG_FILTER: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let serverOutput = '';
  server.stderr.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
  const serverExit = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const services = startTestProcess(join(__dirname, 'restate-services.ts'), {}, 'ready ');
  const stop = async () => {
    await services.stop();
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 30_000);
    await serverExit;
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    const ingressUrl = `http://127.0.0.1:${ingressPort}`;
    await Promise.all([
      waitForHttp(`${adminUrl}/health`, { timeoutMs: 60_000 }),
      waitForHttp(`${ingressUrl}/restate/health`, { timeoutMs: 60_000 }),
      services.ready,
    ]);
    const servicesPort = /ready (\d+)/.exec(services.output())![1];
    const res = await fetch(`${adminUrl}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uri: `http://127.0.0.1:${servicesPort}`, force: true }),
    });
    if (!res.ok) throw new Error(`registering the deployment: ${res.status} ${await res.text()}`);
    log(`restate: server on ${ingressUrl} (admin ${adminPort}), services on ${servicesPort}`);
    return {
      ingressUrl,
      cpu: {
        'restate-server': () => processCpuMs(server.pid ?? -1),
        'restate-services': () => processCpuMs(services.child.pid ?? -1),
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`restate did not start: ${String(error)}\n${serverOutput}`, { cause: error });
  }
}

/** One workflow of `shape` through the ingress, waiting for its result. */
function invoke(ingressUrl: string, shape: RestateShape): RunOne {
  const url = `${ingressUrl}/${restateService[shape]}/${RESTATE_HANDLER}`;
  return async () => {
    const res = await fetch(url, { method: 'POST' });
    const body = await res.text();
    if (!res.ok) throw new Error(`restate ${shape}: ${res.status} ${body}`);
    return Date.now();
  };
}

/**
 * One pass of both shapes on a fresh server: per shape a warm-up, then the method every system
 * gets (closed-loop sweep, open loop at `openFraction` of its own saturation), with the CPU of
 * the server, the service process and this driver read around each closed-loop level.
 */
export async function restatePass(options: {
  concurrency: number[];
  durationMs: number;
  openDurationMs: number;
  openFraction: number;
  countersConcurrency: number;
  driverCpu: () => number;
  log: (line: string) => void;
}): Promise<RestatePass> {
  const restate = await startRestate(options.log);
  const cpu: CpuSources = { ...restate.cpu, driver: options.driverCpu };
  try {
    const pass: Partial<RestatePass> = {};
    for (const shape of RESTATE_SHAPES) {
      const run = invoke(restate.ingressUrl, shape);
      await Promise.all(Array.from({ length: 20 }, () => run(Date.now())));
      const perLevel: Record<number, CpuPerSaga> = {};
      let from = readCpu(cpu);
      const result = await sweep(run, {
        ...options,
        beforeLevel: async () => {
          from = readCpu(cpu);
        },
        afterLevel: async (level: LoadResult) => {
          perLevel[level.concurrency!] = cpuPerSaga(from, readCpu(cpu), level.ended);
          options.log(
            `restate ${shape} c=${level.concurrency}: ${level.perSec}/s, p50 ${level.latencyMs.p50} ms`,
          );
        },
      });
      pass[shape] = {
        ...result,
        perLevel,
        perSaga: perLevel[options.countersConcurrency] ?? perLevel[result.best.concurrency!],
      };
    }
    return pass as RestatePass;
  } finally {
    await restate.stop();
  }
}
